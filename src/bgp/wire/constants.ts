// Numbers of the BGP-4 protocol (RFC 4271 §4, §6; RFC 4760; RFC 4684; RFC 7432; RFC 5492; IANA registries)
// and the address families this speaker carries, named as the original's `address_families`.

export const MARKER_LEN = 16;
export const HEADER_LEN = 19;
export const MAX_MESSAGE_LEN = 4096;
export const BGP_VERSION = 4;
export const AS_TRANS = 23456;

export const MsgType = { OPEN: 1, UPDATE: 2, NOTIFICATION: 3, KEEPALIVE: 4, ROUTE_REFRESH: 5 } as const;

export const AttrCode = {
  ORIGIN: 1,
  AS_PATH: 2,
  NEXT_HOP: 3,
  MED: 4,
  LOCAL_PREF: 5,
  ATOMIC_AGGREGATE: 6,
  AGGREGATOR: 7,
  COMMUNITIES: 8,
  ORIGINATOR_ID: 9,
  CLUSTER_LIST: 10,
  MP_REACH_NLRI: 14,
  MP_UNREACH_NLRI: 15,
  EXTENDED_COMMUNITIES: 16,
  AS4_PATH: 17,
  AS4_AGGREGATOR: 18,
} as const;

export const AttrFlag = { OPTIONAL: 0x80, TRANSITIVE: 0x40, PARTIAL: 0x20, EXTENDED_LENGTH: 0x10 } as const;

export const CapCode = {
  MULTIPROTOCOL: 1,
  ROUTE_REFRESH: 2,
  GRACEFUL_RESTART: 64,
  FOUR_OCTET_AS: 65,
  ADD_PATH: 69,
  ENHANCED_ROUTE_REFRESH: 70,
} as const;

/** NOTIFICATION error codes (RFC 4271 §4.5) and the subcodes this speaker sends or names. */
export const ErrCode = { HEADER: 1, OPEN: 2, UPDATE: 3, HOLD_TIMER: 4, FSM: 5, CEASE: 6, ROUTE_REFRESH: 7 } as const;
export const HeaderSub = { NOT_SYNCHRONIZED: 1, BAD_LENGTH: 2, BAD_TYPE: 3 } as const;
export const OpenSub = {
  UNSUPPORTED_VERSION: 1,
  BAD_PEER_AS: 2,
  BAD_BGP_IDENTIFIER: 3,
  UNSUPPORTED_OPTIONAL_PARAMETER: 4,
  UNACCEPTABLE_HOLD_TIME: 6,
  UNSUPPORTED_CAPABILITY: 7,
} as const;
export const UpdateSub = {
  MALFORMED_ATTRIBUTE_LIST: 1,
  UNRECOGNIZED_WELL_KNOWN: 2,
  MISSING_WELL_KNOWN: 3,
  ATTRIBUTE_FLAGS: 4,
  ATTRIBUTE_LENGTH: 5,
  INVALID_ORIGIN: 6,
  INVALID_NEXT_HOP: 8,
  OPTIONAL_ATTRIBUTE: 9,
  INVALID_NETWORK_FIELD: 10,
  MALFORMED_AS_PATH: 11,
} as const;
/** Cease subcodes (RFC 4486). */
export const CeaseSub = {
  MAX_PREFIXES: 1,
  ADMIN_SHUTDOWN: 2,
  PEER_DECONFIGURED: 3,
  ADMIN_RESET: 4,
  CONNECTION_REJECTED: 5,
  OTHER_CONFIG_CHANGE: 6,
  COLLISION_RESOLUTION: 7,
  OUT_OF_RESOURCES: 8,
} as const;

export const Afi = { IPV4: 1, IPV6: 2, L2VPN: 25 } as const;
export const Safi = { UNICAST: 1, EVPN: 70, MPLS_VPN: 128, RTC: 132 } as const;

/** Address families, named as the original's bgp_router_parameters.address_families. */
export type Family = 'inet' | 'inet-vpn' | 'route-target' | 'e-vpn';
export const FAMILIES: readonly Family[] = ['inet', 'inet-vpn', 'route-target', 'e-vpn'];

const FAMILY_AFI_SAFI: Record<Family, readonly [number, number]> = {
  inet: [Afi.IPV4, Safi.UNICAST],
  'inet-vpn': [Afi.IPV4, Safi.MPLS_VPN],
  'route-target': [Afi.IPV4, Safi.RTC],
  'e-vpn': [Afi.L2VPN, Safi.EVPN],
};

export function familyAfiSafi(f: Family): readonly [number, number] {
  return FAMILY_AFI_SAFI[f];
}

/** The family of an AFI/SAFI pair, or undefined when this speaker does not carry it. */
export function familyOf(afi: number, safi: number): Family | undefined {
  if (afi === Afi.IPV4) {
    if (safi === Safi.UNICAST) return 'inet';
    if (safi === Safi.MPLS_VPN) return 'inet-vpn';
    if (safi === Safi.RTC) return 'route-target';
  } else if (afi === Afi.L2VPN && safi === Safi.EVPN) return 'e-vpn';
  return undefined;
}

export function isFamily(s: string): s is Family {
  return (FAMILIES as readonly string[]).includes(s);
}
