/** `$lib/api`: the typed client and the error helpers every page uses. */
export { api, apiHref, type ApiData, type ApiPath } from './client';
export { ApiError, errorMessage, errorField, onUnauthorized, buildQuery, type Query } from './request';
