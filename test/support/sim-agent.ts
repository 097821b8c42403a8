// A vRouter agent as the control node sees it, simulated with our own BGP speaker (ARCHITECTURE.md
// decision 5): an iBGP client of one or more control nodes that advertises the VPNv4 routes of its
// interfaces (RD <node-ip>:<vrf-index>, label = the VN's VXLAN id, the VRF's export targets, the
// encapsulation community, the origin-VN community, local-pref 200) and RTC routes for the import
// targets of its VRFs, and reads back the VPN routes it receives.
import { Speaker } from '../../src/bgp/speaker.js';
import { tcpConnect } from '../../src/bgp/fsm/tcp.js';
import type { Transport } from '../../src/bgp/fsm/transport.js';
import type { Nlri } from '../../src/bgp/wire/nlri.js';
import { originVnCommunity } from '../../src/control/origin-vn.js';

export interface SimVrf {
  /** the VN's index (virtual_network_network_id), also the VXLAN id / label */
  readonly vnIndex: number;
  /** local index of the VRF on this node (the RD's assigned number) */
  readonly vrfIndex: number;
  readonly exportTargets: readonly string[];
  readonly importTargets: readonly string[];
}

export interface SimAgentOptions {
  readonly address: string;
  readonly asn?: number;
  readonly controls: readonly { readonly address: string; readonly port: number }[];
  readonly holdTime?: number;
  /** announce graceful restart (restart time, seconds) */
  readonly gracefulRestart?: number;
  readonly connectRetryTime?: number;
}

export interface ReceivedRoute {
  readonly rd: string;
  readonly prefix: string;
  readonly nextHop: string | undefined;
  readonly label: number;
  readonly targets: readonly string[];
  readonly stale: boolean;
  /** control node the path came from */
  readonly from: string;
}

export class SimAgent {
  readonly address: string;
  readonly speaker: Speaker;
  readonly asn: number;
  #subscribed = new Map<string, number>();
  #transports = new Set<Transport>();

  constructor(o: SimAgentOptions) {
    this.address = o.address;
    this.asn = o.asn ?? 64512;
    this.speaker = new Speaker({
      asn: this.asn, routerId: o.address, listen: false, holdTime: o.holdTime ?? 30, connectRetryTime: o.connectRetryTime ?? 1, idleHoldTime: 1,
      rtcWait: 1,
      connect: async (c) => {
        const t = await tcpConnect(c);
        this.#transports.add(t);
        return t;
      },
      ...(o.gracefulRestart !== undefined ? { gracefulRestart: { restartTime: o.gracefulRestart, forwarding: ['inet-vpn', 'route-target', 'e-vpn'] } } : {}),
    });
    for (const c of o.controls) {
      this.speaker.addPeer({ address: c.address, port: c.port, localAddress: o.address, asn: this.asn, families: ['inet-vpn', 'route-target', 'e-vpn'] });
    }
  }

  async start(): Promise<void> {
    await this.speaker.start();
  }

  async stop(): Promise<void> {
    await this.speaker.stop();
  }

  /** Dies as a crashed agent does: connections reset, no NOTIFICATION sent. */
  async crash(): Promise<void> {
    for (const t of this.#transports) t.destroy();
    this.#transports.clear();
    await this.speaker.stop();
  }

  /** Subscribes to a VRF's import targets (RTC routes, counted per target). */
  subscribe(v: SimVrf): void {
    for (const t of v.importTargets) {
      const n = this.#subscribed.get(t) ?? 0;
      this.#subscribed.set(t, n + 1);
      if (n === 0) this.speaker.originate({ nlri: this.#rtc(t) });
    }
  }

  unsubscribe(v: SimVrf): void {
    for (const t of v.importTargets) {
      const n = this.#subscribed.get(t) ?? 0;
      if (n <= 1) {
        this.#subscribed.delete(t);
        if (n === 1) this.speaker.withdraw(this.#rtc(t));
      } else this.#subscribed.set(t, n - 1);
    }
  }

  #rtc(t: string): Nlri {
    return { family: 'route-target', originAs: this.asn, routeTarget: t, prefixLen: 96 };
  }

  /** Advertises an interface route (prefix, usually /32) of a VRF. */
  advertise(v: SimVrf, prefix: string): void {
    this.speaker.originate({
      nlri: { family: 'inet-vpn', rd: `${this.address}:${v.vrfIndex}`, prefix },
      labels: [v.vnIndex],
      attrs: { nextHop: this.address, localPref: 200, extCommunities: [...v.exportTargets, 'encapsulation:vxlan', originVnCommunity(this.asn, v.vnIndex)] },
    });
  }

  withdraw(v: SimVrf, prefix: string): void {
    this.speaker.withdraw({ family: 'inet-vpn', rd: `${this.address}:${v.vrfIndex}`, prefix });
  }

  /** VPN paths received from control nodes (not our own). */
  received(): ReceivedRoute[] {
    const out: ReceivedRoute[] = [];
    for (const r of this.speaker.table('inet-vpn').routes()) {
      const n = r.nlri as { rd: string; prefix: string };
      for (const p of r.paths) {
        if (p.source === 0) continue;
        out.push({
          rd: n.rd, prefix: n.prefix, nextHop: p.attrs.nextHop, label: p.label, stale: p.stale,
          targets: (p.attrs.extCommunities ?? []).filter((c) => c.startsWith('target:')),
          from: this.speaker.sources.get(p.source).address,
        });
      }
    }
    return out;
  }

  /** Distinct prefixes received (any control node). */
  prefixes(): string[] {
    return [...new Set(this.received().map((r) => r.prefix))].sort();
  }

  established(control: string): boolean {
    return this.speaker.peer(control)?.state === 'Established';
  }
}
