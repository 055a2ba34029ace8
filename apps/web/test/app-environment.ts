/** `$app/environment` for unit tests: not a browser tab (no document, no storage), like SvelteKit's SSR. */
export const browser = false;
export const building = false;
export const dev = true;
export const version = 'test';
