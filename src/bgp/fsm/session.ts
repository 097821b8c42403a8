// One BGP session (RFC 4271 §8): Idle, Connect, Active, OpenSent, OpenConfirm, Established, over injected
// transports and an injected clock. Each TCP connection runs its own OpenSent → OpenConfirm →
// Established handshake; two connections to one peer are resolved by BGP identifier (§6.8). Hold and
// keepalive timers, connect-retry, idle-hold restart, OPEN validation and capability negotiation live
// here; UPDATEs are handed up raw for the speaker to decode. Graceful restart (RFC 4724): the capability is
// announced and the peer's is reported, a drop without NOTIFICATION is flagged `graceful`, and a new OPEN
// from a restarted GR peer replaces its dead Established connection.
import {
  CeaseSub, ErrCode, KEEPALIVE, MsgType, OpenSub, BgpError, decodeOpenBody, describeNotification, encodeCease,
  encodeNotification, encodeOpen, familyAfiSafi, familyOf, frameLength, openError, HEADER_LEN,
  type Capability, type Family, type OpenMessage,
} from '../wire/index.js';
import { parseIpv4 } from '../wire/addr.js';
import type { Clock, Timer } from './clock.js';
import type { Connector, Transport } from './transport.js';
import { defaultTurnBudget, type TurnBudget } from './turn-budget.js';

export type SessionState = 'Idle' | 'Connect' | 'Active' | 'OpenSent' | 'OpenConfirm' | 'Established';

export interface GracefulRestartConfig {
  /** Seconds the peer should keep our routes when we go away (0..4095). */
  readonly restartTime: number;
  /** Announce the R bit: this speaker has just restarted. */
  readonly restarting?: boolean;
  /** Families whose forwarding state survives our restart (F bit). */
  readonly forwarding?: readonly Family[];
}

export interface SessionConfig {
  readonly localAs: number;
  readonly routerId: string;
  readonly peerAs: number;
  readonly peerAddress: string;
  readonly peerPort: number;
  readonly localAddress?: string;
  /** Seconds; 0 (no keepalives) or at least 3. */
  readonly holdTime: number;
  /** Seconds between outgoing connection attempts. */
  readonly connectRetryTime: number;
  /** Seconds to stay Idle after a drop before starting again. */
  readonly idleHoldTime: number;
  readonly passive: boolean;
  readonly families: readonly Family[];
  readonly gracefulRestart?: GracefulRestartConfig;
  /** Families for which this speaker offers to send several paths per prefix (ADD-PATH, RFC 7911). */
  readonly addPathSend?: readonly Family[];
}

export interface PeerGracefulRestart {
  readonly restarting: boolean;
  readonly restartTime: number;
  /** Families the peer keeps forwarding state for: value = F bit. */
  readonly families: ReadonlyMap<Family, boolean>;
}

export interface Negotiated {
  readonly peerOpen: OpenMessage;
  readonly as4: boolean;
  readonly holdTime: number;
  readonly keepaliveTime: number;
  readonly families: readonly Family[];
  readonly routeRefresh: boolean;
  readonly peerGracefulRestart: PeerGracefulRestart | undefined;
  /** Families in which this speaker sends path identifiers: it offered send, the peer offered receive (RFC 7911 §5). */
  readonly addPathSend: readonly Family[];
  readonly localAddress: string;
  readonly remoteAddress: string;
  readonly remotePort: number;
}

export type DownReason = 'stopped' | 'notification-received' | 'notification-sent' | 'hold-timer' | 'transport' | 'peer-restarted';

export interface SessionDown {
  readonly reason: DownReason;
  readonly message: string;
  readonly notification?: { readonly code: number; readonly subcode: number; readonly data: Uint8Array };
  /** The peer announced graceful restart and the session was lost without a NOTIFICATION: keep its routes. */
  readonly graceful: boolean;
}

export interface SessionEvents {
  established(n: Negotiated): void;
  /** An UPDATE or ROUTE-REFRESH in Established: b[off, off+len) is the whole message, header included. */
  message(type: number, b: Uint8Array, off: number, len: number): void;
  /** The Established session ended. */
  down(d: SessionDown): void;
  stateChange?(from: SessionState, to: SessionState): void;
  /** Writes may continue after send() returned false. */
  drain?(): void;
}

const OPEN_HOLD_MS = 240_000; // RFC 4271 §8.2.2: large hold time while waiting for OPEN
/** Received bytes queued (input budget spent) beyond which a connection stops reading. */
const BACKLOG_PAUSE = 256 * 1024;

type ConnState = 'OpenSent' | 'OpenConfirm' | 'Established';

class Conn {
  state: ConnState = 'OpenSent';
  peerOpen: OpenMessage | undefined;
  negotiated: Negotiated | undefined;
  pending: Uint8Array | undefined;
  lastRecv = 0;
  holdMs = OPEN_HOLD_MS;
  keepaliveMs = 0;
  holdTimer: Timer | undefined;
  kaTimer: Timer | undefined;
  closed = false;
  /** Chunks received but not yet handled (the turn's input budget was spent), their bytes, reading paused. */
  backlog: Uint8Array[] | undefined;
  backlogBytes = 0;
  paused = false;
  constructor(
    readonly t: Transport,
    readonly dir: 'in' | 'out',
  ) {}
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/** Messages by type (index = BGP message type 1..5; 0 = total). */
export type MessageCounts = [number, number, number, number, number, number];

export class Session {
  readonly config: SessionConfig;
  readonly sent: MessageCounts = [0, 0, 0, 0, 0, 0];
  readonly received: MessageCounts = [0, 0, 0, 0, 0, 0];
  readonly #clock: Clock;
  readonly #connect: Connector | undefined;
  readonly #ev: SessionEvents;
  readonly #budget: TurnBudget;
  #running = false;
  #base: 'Idle' | 'Connect' | 'Active' = 'Idle';
  #reported: SessionState = 'Idle';
  #conns: Conn[] = [];
  #connecting = false;
  #retryTimer: Timer | undefined;
  #restartTimer: Timer | undefined;
  #established: Conn | undefined;
  #lastError: string | undefined;

  constructor(config: SessionConfig, deps: { clock: Clock; connect?: Connector; events: SessionEvents; budget?: TurnBudget }) {
    if (config.holdTime !== 0 && (config.holdTime < 3 || config.holdTime > 65535)) {
      throw new BgpError('BGP_BAD_CONFIG', `hold time ${config.holdTime} must be 0 or 3..65535 seconds`);
    }
    this.config = config;
    this.#clock = deps.clock;
    this.#connect = deps.connect;
    this.#ev = deps.events;
    this.#budget = deps.budget ?? defaultTurnBudget;
  }

  get state(): SessionState {
    if (this.#established) return 'Established';
    if (this.#conns.some((c) => c.state === 'OpenConfirm')) return 'OpenConfirm';
    if (this.#conns.length) return 'OpenSent';
    return this.#base;
  }

  get running(): boolean {
    return this.#running;
  }

  /** The last reason a connection failed or closed, for introspect. */
  get lastError(): string | undefined {
    return this.#lastError;
  }

  get negotiated(): Negotiated | undefined {
    return this.#established?.negotiated;
  }

  #report(): void {
    const s = this.state;
    if (s !== this.#reported) {
      const from = this.#reported;
      this.#reported = s;
      this.#ev.stateChange?.(from, s);
    }
  }

  /** ManualStart: connect (unless passive) and accept connections. */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#begin();
  }

  #begin(): void {
    this.#restartTimer?.cancel();
    this.#restartTimer = undefined;
    if (!this.#running) return;
    if (this.config.passive || !this.#connect) {
      this.#base = 'Active';
      this.#report();
    } else this.#tryConnect();
  }

  #tryConnect(): void {
    this.#retryTimer?.cancel();
    this.#retryTimer = undefined;
    if (!this.#running || this.#connecting || this.#conns.length || !this.#connect) return;
    this.#connecting = true;
    this.#base = 'Connect';
    this.#report();
    const c = this.config;
    this.#connect({ host: c.peerAddress, port: c.peerPort, ...(c.localAddress ? { localAddress: c.localAddress } : {}) }).then(
      (t) => {
        this.#connecting = false;
        if (!this.#running || this.#established || this.#conns.length >= 2) {
          t.destroy();
          return;
        }
        this.#addConn(t, 'out');
      },
      (err: Error) => {
        this.#connecting = false;
        this.#lastError = `connect: ${err.message}`;
        if (!this.#running) return;
        this.#base = 'Active';
        this.#report();
        this.#retryTimer = this.#clock.setTimeout(() => this.#tryConnect(), this.config.connectRetryTime * 1000);
      },
    );
  }

  /** An incoming connection from this peer's address. False (and closed) when it cannot be taken. */
  accept(t: Transport): boolean {
    if (!this.#running || this.#conns.length >= 2) {
      t.destroy();
      return false;
    }
    this.#addConn(t, 'in');
    return true;
  }

  #capabilities(): Capability[] {
    const c = this.config;
    const caps: Capability[] = c.families.map((f) => {
      const [afi, safi] = familyAfiSafi(f);
      return { kind: 'multiprotocol', afi, safi };
    });
    caps.push({ kind: 'route-refresh' }, { kind: 'four-octet-as', asn: c.localAs });
    const gr = c.gracefulRestart;
    if (gr) {
      caps.push({
        kind: 'graceful-restart',
        restarting: gr.restarting ?? false,
        notification: false,
        restartTime: gr.restartTime,
        families: c.families.map((f) => {
          const [afi, safi] = familyAfiSafi(f);
          return { afi, safi, forwarding: gr.forwarding?.includes(f) ?? false };
        }),
      });
    }
    const ap = (c.addPathSend ?? []).filter((f) => c.families.includes(f));
    if (ap.length) {
      caps.push({ kind: 'add-path', families: ap.map((f) => {
        const [afi, safi] = familyAfiSafi(f);
        return { afi, safi, receive: false, send: true };
      }) });
    }
    return caps;
  }

  #addConn(t: Transport, dir: 'in' | 'out'): void {
    const conn = new Conn(t, dir);
    this.#conns.push(conn);
    conn.lastRecv = this.#clock.now();
    // OPEN goes out before any input is handled, so our KEEPALIVE can never precede it.
    this.#write(conn, encodeOpen({ asn: this.config.localAs, holdTime: this.config.holdTime, routerId: this.config.routerId, capabilities: this.#capabilities() }));
    this.#armHold(conn);
    this.#report();
    t.setHandlers({
      data: (chunk) => this.#onData(conn, chunk),
      close: (err) => this.#onClose(conn, err),
      drain: () => {
        if (conn === this.#established) this.#ev.drain?.();
      },
    });
  }

  // ---- timers ---------------------------------------------------------------------------------------

  #armHold(conn: Conn): void {
    conn.holdTimer?.cancel();
    conn.holdTimer = undefined;
    if (conn.holdMs <= 0 || conn.closed) return;
    const due = conn.lastRecv + conn.holdMs - this.#clock.now();
    conn.holdTimer = this.#clock.setTimeout(() => {
      conn.holdTimer = undefined;
      if (conn.closed) return;
      if (!this.#silent(conn)) {
        this.#armHold(conn);
        return;
      }
      // After a long busy stretch timers run before pending socket reads: look again once input has
      // been read (the clock's defer runs after the event loop's I/O phase) before calling the peer dead.
      const verdict = (): void => {
        if (conn.closed || conn.holdTimer) return;
        if (this.#silent(conn)) this.#fail(conn, ErrCode.HOLD_TIMER, 0, new Uint8Array(0), 'hold timer expired', 'hold-timer');
        else this.#armHold(conn);
      };
      if (this.#clock.defer) this.#clock.defer(verdict);
      else verdict();
    }, Math.max(0, due));
  }

  /** Nothing heard for the hold time? Input we have not got to yet (queued or unread) counts as heard. */
  #silent(conn: Conn): boolean {
    if (conn.paused || conn.backlog) conn.lastRecv = this.#clock.now();
    return this.#clock.now() - conn.lastRecv >= conn.holdMs;
  }

  #armKeepalive(conn: Conn): void {
    conn.kaTimer?.cancel();
    conn.kaTimer = undefined;
    if (conn.keepaliveMs <= 0 || conn.closed) return;
    conn.kaTimer = this.#clock.setTimeout(() => {
      conn.kaTimer = undefined;
      if (conn.closed) return;
      this.#write(conn, KEEPALIVE);
      this.#armKeepalive(conn);
    }, conn.keepaliveMs);
  }

  // ---- input ----------------------------------------------------------------------------------------

  #onData(conn: Conn, chunk: Uint8Array): void {
    if (conn.closed) return;
    conn.lastRecv = this.#clock.now();
    if (conn.backlog || this.#budget.spent) {
      // this turn's input budget is spent: handle the chunk in a later turn
      if (!conn.backlog) {
        conn.backlog = [];
        this.#budget.later(() => this.#drainBacklog(conn));
      }
      conn.backlog.push(chunk);
      conn.backlogBytes += chunk.length;
      if (conn.backlogBytes > BACKLOG_PAUSE && !conn.paused && conn.t.pause) {
        conn.paused = true;
        conn.t.pause();
      }
      return;
    }
    this.#budget.use();
    this.#handle(conn, chunk);
  }

  #drainBacklog(conn: Conn): void {
    const q = conn.backlog;
    if (!q || conn.closed) return;
    this.#budget.use();
    while (q.length && !conn.closed) {
      if (this.#budget.spent) {
        this.#budget.later(() => this.#drainBacklog(conn));
        return;
      }
      const chunk = q.shift()!;
      conn.backlogBytes -= chunk.length;
      this.#handle(conn, chunk);
    }
    conn.backlog = undefined;
    conn.backlogBytes = 0;
    if (conn.paused && !conn.closed) {
      conn.paused = false;
      conn.t.resume?.();
    }
  }

  #handle(conn: Conn, chunk: Uint8Array): void {
    if (conn.closed) return;
    let b = chunk;
    if (conn.pending) {
      b = concat(conn.pending, chunk);
      conn.pending = undefined;
    }
    let off = 0;
    try {
      while (!conn.closed) {
        const avail = b.length - off;
        const len = frameLength(b, off, avail);
        if (len === 0 || len > avail) break;
        this.#onMessage(conn, b, off, len);
        off += len;
      }
    } catch (err) {
      if (err instanceof BgpError) {
        this.#fail(conn, err.notifyCode, err.notifySubcode, err.data, err.message, 'notification-sent');
        return;
      }
      throw err;
    }
    if (!conn.closed && off < b.length) conn.pending = b.subarray(off);
  }

  #write(conn: Conn, msg: Uint8Array): boolean {
    this.sent[0]++;
    this.sent[msg[18]]++;
    return conn.t.write(msg);
  }

  #onMessage(conn: Conn, b: Uint8Array, off: number, len: number): void {
    const type = b[off + 18];
    this.received[0]++;
    this.received[type]++;
    switch (type) {
      case MsgType.OPEN:
        if (conn.state !== 'OpenSent') throw new BgpError('BGP_FSM', 'OPEN after OPEN', { notifyCode: ErrCode.FSM });
        this.#onOpen(conn, decodeOpenBody(b, off + HEADER_LEN, off + len));
        return;
      case MsgType.KEEPALIVE:
        if (conn.state === 'OpenSent') throw new BgpError('BGP_FSM', 'KEEPALIVE before OPEN', { notifyCode: ErrCode.FSM });
        if (conn.state === 'OpenConfirm') this.#onEstablished(conn);
        return;
      case MsgType.NOTIFICATION: {
        const code = b[off + 19];
        const subcode = b[off + 20];
        const data = b.slice(off + 21, off + len);
        this.#close(conn, 'notification-received', `received ${describeNotification(code, subcode, data)}`, { code, subcode, data });
        return;
      }
      case MsgType.UPDATE:
      case MsgType.ROUTE_REFRESH:
        if (conn.state !== 'Established') throw new BgpError('BGP_FSM', `message type ${type} before Established`, { notifyCode: ErrCode.FSM });
        this.#ev.message(type, b, off, len);
        return;
    }
  }

  #onOpen(conn: Conn, open: OpenMessage): void {
    const c = this.config;
    if (open.asn !== c.peerAs) {
      throw openError('BGP_BAD_PEER_AS', OpenSub.BAD_PEER_AS, `peer AS ${open.asn}, expected ${c.peerAs}`);
    }
    if (parseIpv4(open.routerId) === parseIpv4(c.routerId)) {
      throw openError('BGP_BAD_BGP_IDENTIFIER', OpenSub.BAD_BGP_IDENTIFIER, `peer uses our BGP identifier ${open.routerId}`);
    }
    conn.peerOpen = open;
    const hold = Math.min(c.holdTime, open.holdTime);
    conn.negotiated = this.#negotiate(conn, open, hold);
    // Collision detection (RFC 4271 §6.8)
    const other = this.#conns.find((x) => x !== conn && !x.closed);
    if (other?.state === 'Established') {
      if (conn.negotiated.peerGracefulRestart) {
        // RFC 4724 §4.2: the peer restarted; its old connection is dead.
        this.#close(other, 'peer-restarted', 'peer restarted (new OPEN while Established)', undefined, true);
      } else {
        this.#sendCease(conn, CeaseSub.COLLISION_RESOLUTION, 'connection collision with an established session');
        return;
      }
    } else if (other?.peerOpen) {
      const localWins = parseIpv4(c.routerId) > parseIpv4(open.routerId);
      const loser = localWins ? (conn.dir === 'in' ? conn : other) : conn.dir === 'out' ? conn : other;
      this.#sendCease(loser, CeaseSub.COLLISION_RESOLUTION, 'connection collision resolution');
      if (loser === conn) return;
    }
    conn.state = 'OpenConfirm';
    conn.holdMs = hold * 1000;
    conn.keepaliveMs = conn.negotiated.keepaliveTime * 1000;
    this.#write(conn, KEEPALIVE);
    this.#armHold(conn);
    this.#armKeepalive(conn);
    this.#report();
  }

  #negotiate(conn: Conn, open: OpenMessage, hold: number): Negotiated {
    const peerMp = new Set<string>();
    let routeRefresh = false;
    let as4 = false;
    let gr: PeerGracefulRestart | undefined;
    const peerReceives = new Set<string>();
    for (const cap of open.capabilities) {
      if (cap.kind === 'add-path') for (const f of cap.families) if (f.receive) peerReceives.add(`${f.afi}/${f.safi}`);
      if (cap.kind === 'multiprotocol') peerMp.add(`${cap.afi}/${cap.safi}`);
      else if (cap.kind === 'route-refresh' || cap.kind === 'enhanced-route-refresh') routeRefresh = true;
      else if (cap.kind === 'four-octet-as') as4 = true;
      else if (cap.kind === 'graceful-restart') {
        const fams = new Map<Family, boolean>();
        for (const f of cap.families) {
          const fam = familyOf(f.afi, f.safi);
          if (fam) fams.set(fam, f.forwarding);
        }
        gr = { restarting: cap.restarting, restartTime: cap.restartTime, families: fams };
      }
    }
    // RFC 4760 §8: without any multiprotocol capability the peer speaks IPv4 unicast only.
    if (peerMp.size === 0) peerMp.add('1/1');
    const families = this.config.families.filter((f) => peerMp.has(familyAfiSafi(f).join('/')));
    const addPathSend = (this.config.addPathSend ?? []).filter((f) => families.includes(f) && peerReceives.has(familyAfiSafi(f).join('/')));
    return {
      peerOpen: open, as4, holdTime: hold, keepaliveTime: Math.floor(hold / 3), families, routeRefresh,
      peerGracefulRestart: gr, addPathSend, localAddress: conn.t.localAddress, remoteAddress: conn.t.remoteAddress, remotePort: conn.t.remotePort,
    };
  }

  #onEstablished(conn: Conn): void {
    for (const other of this.#conns) {
      if (other !== conn && !other.closed) this.#sendCease(other, CeaseSub.COLLISION_RESOLUTION, 'connection collision resolution');
    }
    conn.state = 'Established';
    this.#established = conn;
    this.#lastError = undefined;
    this.#retryTimer?.cancel();
    this.#retryTimer = undefined;
    this.#report();
    this.#ev.established(conn.negotiated!);
  }

  // ---- output ---------------------------------------------------------------------------------------

  /** Writes a message on the Established connection; false means wait for the drain event. */
  send(msg: Uint8Array): boolean {
    const c = this.#established;
    if (!c || c.closed) return false;
    return this.#write(c, msg);
  }

  /** Writes several messages in one transport write (one system call); false means wait for drain. */
  sendAll(msgs: readonly Uint8Array[]): boolean {
    const c = this.#established;
    if (!c || c.closed) return false;
    if (msgs.length === 1) return this.#write(c, msgs[0]);
    let n = 0;
    for (const m of msgs) {
      n += m.length;
      this.sent[0]++;
      this.sent[m[18]]++;
    }
    const all = new Uint8Array(n);
    let o = 0;
    for (const m of msgs) {
      all.set(m, o);
      o += m.length;
    }
    return c.t.write(all);
  }

  // ---- closing --------------------------------------------------------------------------------------

  #sendCease(conn: Conn, subcode: number, why: string): void {
    if (conn.closed) return;
    this.#write(conn, encodeCease(subcode));
    this.#close(conn, 'notification-sent', why, { code: ErrCode.CEASE, subcode, data: new Uint8Array(0) });
  }

  #fail(conn: Conn, code: number, subcode: number, data: Uint8Array, why: string, reason: DownReason): void {
    if (conn.closed) return;
    this.#write(conn, encodeNotification(code, subcode, data));
    this.#close(conn, reason, `sent ${describeNotification(code, subcode)}: ${why}`, { code, subcode, data });
  }

  #close(conn: Conn, reason: DownReason, message: string, notification?: SessionDown['notification'], quiet = false): void {
    if (conn.closed) return;
    conn.closed = true;
    conn.holdTimer?.cancel();
    conn.kaTimer?.cancel();
    conn.pending = undefined;
    conn.backlog = undefined;
    conn.backlogBytes = 0;
    if (quiet) conn.t.destroy();
    else conn.t.end();
    this.#conns = this.#conns.filter((c) => c !== conn);
    const collision = notification?.code === ErrCode.CEASE && notification.subcode === CeaseSub.COLLISION_RESOLUTION && reason === 'notification-sent';
    if (!collision) this.#lastError = message;
    if (conn === this.#established) {
      this.#established = undefined;
      const peerGr = conn.negotiated?.peerGracefulRestart !== undefined;
      const graceful = peerGr && (reason === 'transport' || reason === 'hold-timer' || reason === 'peer-restarted');
      this.#report();
      this.#ev.down({ reason, message, ...(notification ? { notification } : {}), graceful });
    }
    if (this.#conns.length === 0 && !this.#established) this.#afterDrop(reason);
    else this.#report();
  }

  #onClose(conn: Conn, err?: Error): void {
    if (conn.closed) return;
    this.#close(conn, 'transport', err ? `connection lost: ${err.message}` : 'connection closed by peer');
  }

  #afterDrop(reason: DownReason): void {
    this.#base = 'Idle';
    this.#report();
    if (!this.#running || reason === 'stopped' || this.#held) return;
    this.#restartTimer?.cancel();
    this.#restartTimer = this.#clock.setTimeout(() => this.#begin(), this.config.idleHoldTime * 1000);
  }

  #held = false;

  /**
   * Ends the session with a NOTIFICATION (the speaker's verdict on an UPDATE, or max-prefix). holdMs: stay
   * Idle that long before starting again (null: until start() is called); default the idle-hold time.
   */
  reset(code: number, subcode: number, data: Uint8Array, why: string, holdMs?: number | null): void {
    if (holdMs !== undefined) {
      this.#held = true;
      this.#restartTimer?.cancel();
    }
    for (const c of [...this.#conns]) this.#fail(c, code, subcode, data, why, 'notification-sent');
    if (holdMs === undefined) return;
    if (holdMs === null) {
      this.#running = false;
      this.#held = false;
      return;
    }
    this.#restartTimer = this.#clock.setTimeout(() => {
      this.#held = false;
      this.#begin();
    }, holdMs);
  }

  /** ManualStop: Cease (administrative shutdown) to the peer, Idle, no restart. */
  stop(subcode: number = CeaseSub.ADMIN_SHUTDOWN, text = ''): void {
    this.#running = false;
    this.#held = false;
    this.#retryTimer?.cancel();
    this.#restartTimer?.cancel();
    for (const conn of [...this.#conns]) {
      if (conn.closed) continue;
      this.#write(conn, encodeCease(subcode, text));
      this.#close(conn, 'stopped', text ? `stopped: ${text}` : 'stopped', { code: ErrCode.CEASE, subcode, data: new Uint8Array(0) });
    }
    this.#base = 'Idle';
    this.#report();
  }
}
