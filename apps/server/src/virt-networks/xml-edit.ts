import { parseNetworkDetail, type NetworkDetail } from '@mirador/libvirt';
import { badRequest } from '../lib/http-errors.js';

/**
 * An edited network XML, checked before libvirt sees it. libvirt's own parser would accept a
 * DOCTYPE and expand entities; nothing a network needs uses them, so any `<!DOCTYPE`/`<!ENTITY`
 * and any processing instruction other than the leading XML declaration (`<?xml-stylesheet?>`) is
 * refused. The document must describe the network the path names (same name, same UUID if given).
 */
export function checkEditedXml(xml: string, name: string, uuid: string | null): NetworkDetail {
  const body = xml.replace(/^\uFEFF?\s*<\?xml\s[^?]*\?>/, '');
  if (/<!DOCTYPE|<!ENTITY/i.test(body)) throw badRequest('The XML must not contain a DOCTYPE or entity declarations.', 'xml');
  if (/<\?/.test(body)) throw badRequest('The XML must not contain processing instructions (<?…?>).', 'xml');
  let parsed: NetworkDetail;
  try {
    parsed = parseNetworkDetail(xml);
  } catch (err) {
    throw badRequest(`The XML is not a <network> document: ${(err as Error).message}`, 'xml');
  }
  if (parsed.name !== name) {
    throw badRequest(`The XML names the network "${parsed.name}", not "${name}"; rename with a new network instead.`, 'xml');
  }
  if (parsed.uuid && uuid && parsed.uuid.toLowerCase() !== uuid.toLowerCase()) {
    throw badRequest(`The XML's UUID ${parsed.uuid} is not the UUID of "${name}" (${uuid}).`, 'xml');
  }
  return parsed;
}
