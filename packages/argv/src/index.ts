export { quoteArg, toCommandLine } from './quote.js';
