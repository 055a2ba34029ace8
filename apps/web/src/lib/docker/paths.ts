/**
 * Page links of the docker views (API paths come typed from the client: `api.GET('/api/…', { params })`).
 * Image references are URL-encoded as one path segment (`registry:5000/team/web:1.0` keeps its
 * slashes inside the segment), as in the API's `{image}` parameter.
 */
const enc = encodeURIComponent;

export const engineHref = (hostId: string) => `/docker/${enc(hostId)}`;
export const imageHref = (hostId: string, image: string) => `/images/${enc(hostId)}/${enc(image)}`;
export const volumeHref = (hostId: string, name: string) => `/volumes/${enc(hostId)}/${enc(name)}`;
export const networkHref = (hostId: string, network: string) => `/networks/${enc(hostId)}/${enc(network)}`;
export const containerHref = (hostId: string, name: string) => `/containers/${enc(hostId)}/${enc(name)}`;
/** A list page of this engine (`/images?host=…`), for back links that keep the engine. */
export const listHref = (list: 'images' | 'volumes' | 'networks', hostId: string) => `/${list}?host=${enc(hostId)}`;
