/**
 * Where things live: REST paths under `/api` (for `api.*`) and page links of the docker views.
 * Image references are URL-encoded as one path segment (`registry:5000/team/web:1.0` keeps its
 * slashes inside the segment), which is what the server's `:image` parameter expects.
 */
const enc = encodeURIComponent;

export const dockerHostApi = (hostId: string) => `/hosts/${enc(hostId)}/docker`;
export const imagesApi = (hostId: string) => `/hosts/${enc(hostId)}/images`;
export const imageApi = (hostId: string, image: string) => `${imagesApi(hostId)}/${enc(image)}`;
export const volumesApi = (hostId: string) => `/hosts/${enc(hostId)}/volumes`;
export const volumeApi = (hostId: string, name: string) => `${volumesApi(hostId)}/${enc(name)}`;
export const networksApi = (hostId: string) => `/hosts/${enc(hostId)}/networks`;
export const networkApi = (hostId: string, network: string) => `${networksApi(hostId)}/${enc(network)}`;
export const containersApi = (hostId: string) => `/hosts/${enc(hostId)}/containers`;

export const engineHref = (hostId: string) => `/docker/${enc(hostId)}`;
export const imageHref = (hostId: string, image: string) => `/images/${enc(hostId)}/${enc(image)}`;
export const volumeHref = (hostId: string, name: string) => `/volumes/${enc(hostId)}/${enc(name)}`;
export const networkHref = (hostId: string, network: string) => `/networks/${enc(hostId)}/${enc(network)}`;
export const containerHref = (hostId: string, name: string) => `/containers/${enc(hostId)}/${enc(name)}`;
/** A list page of this engine (`/images?host=…`), for back links that keep the engine. */
export const listHref = (list: 'images' | 'volumes' | 'networks', hostId: string) => `/${list}?host=${enc(hostId)}`;
