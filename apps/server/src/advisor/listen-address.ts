/** Listening addresses as daemons print them (`0.0.0.0:2375`, `[::1]:2375`, `*:2375`, `:2375`). */

export const isLoopback = (address: string) => /^127\./.test(address) || address === '::1' || address === 'localhost';

/** The address part of `address:port` (brackets of an IPv6 address removed; empty means every interface). */
export const addressOf = (listen: string) => listen.replace(/:\d+$/, '').replace(/^\[(.*)\]$/, '$1');

/** Whether any of these listeners can be reached from beyond this machine. */
export const beyondLoopback = (listens: string[]) => listens.some((l) => !isLoopback(addressOf(l)));
