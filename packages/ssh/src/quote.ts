// The quoting helper lives in @mirador/argv (dependency-free, shared with the pure packages); the
// transport's own files keep importing it from here.
export { quoteArg, toCommandLine } from '@mirador/argv';
