import { VmList } from '@mirador/contract';

/** fastify's `reply.compileSerializationSchema` (cached per schema by fastify). */
type CompileSerializer = (schema: { [key: string]: unknown }, httpStatus?: string) => (payload: { [key: string]: unknown }) => string;
type Serialize<T> = (value: T) => string;

const ITEMS_SCHEMA = VmList.properties.items as unknown as { [key: string]: unknown };
const HOSTS_SCHEMA = VmList.properties.hosts as unknown as { [key: string]: unknown };

/**
 * The JSON body of a VM list, with the items' part kept between requests. At fleet size (10,000 VMs)
 * serialising the items costs far more than gathering them, and between two changes every request
 * would serialise the very same list again. Inventories replace a VM's object whenever anything of it
 * changes (they never edit one in place), so "same objects in the same order" means "same JSON":
 * the check is one pointer comparison per row. Host statuses are small and always serialised afresh.
 * Both parts go through the response schema's own serializers, so nothing outside the schema is sent.
 */
export function createVmListBody() {
  let last: { items: VmList['items']; json: string } | null = null;

  const sameItems = (a: VmList['items'], b: VmList['items']) => a.length === b.length && a.every((x, i) => x === b[i]);

  return (list: VmList, compile: CompileSerializer): string => {
    if (!last || !sameItems(last.items, list.items)) {
      const items = compile(ITEMS_SCHEMA, '200') as unknown as Serialize<VmList['items']>;
      last = { items: list.items, json: items(list.items) };
    }
    const hosts = compile(HOSTS_SCHEMA, '200') as unknown as Serialize<VmList['hosts']>;
    return `{"items":${last.json},"hosts":${hosts(list.hosts)}}`;
  };
}
