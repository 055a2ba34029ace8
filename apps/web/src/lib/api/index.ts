/** `$lib/api`: the typed client and the error helpers every page uses. */
import { api as typed } from './client';
import { untypedApi } from './request';

export { apiHref, type ApiData, type ApiPath } from './client';
export { ApiError, errorMessage, errorField, onUnauthorized, request, buildQuery, apiUrl, type Query } from './request';

/** `api.GET/POST/PUT/PATCH/DELETE` are typed from the OpenAPI document; lower-case get/post/patch/del are the old hand-typed calls, on their way out. */
export const api = { ...typed, ...untypedApi };
