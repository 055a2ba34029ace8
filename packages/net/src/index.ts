export {
  type Ipv4Subnet,
  parseIpv4,
  parseCidr,
  formatIpv4,
  maskOf,
  prefixOfNetmask,
  subnetOf,
  broadcastOf,
  subnetContains,
  subnetsOverlap,
  formatSubnet,
} from './ipv4.js';
