// Times as the original's introspect and ist.py print them: `2019-Apr-13 01:41:18.023211` (UTC) and ages
// like Python's str(timedelta): `0:02:26.545449`, `1 day 2:03:04.000005`.
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const p2 = (n: number) => String(n).padStart(2, '0');

export function formatTimestamp(ms: number): string {
  const d = new Date(ms);
  const micro = String(Math.floor(((ms % 1000) + 1000) % 1000) * 1000).padStart(6, '0');
  return `${d.getUTCFullYear()}-${MONTHS[d.getUTCMonth()]}-${p2(d.getUTCDate())} ${p2(d.getUTCHours())}:${p2(d.getUTCMinutes())}:${p2(d.getUTCSeconds())}.${micro}`;
}

/** Parses formatTimestamp's output back to ms; NaN when it does not match. */
export function parseTimestamp(s: string): number {
  const m = /^(\d{4})-([A-Z][a-z]{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})\.(\d{6})$/.exec(s);
  if (!m) return NaN;
  const month = MONTHS.indexOf(m[2]);
  if (month < 0) return NaN;
  return Date.UTC(Number(m[1]), month, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6])) + Math.floor(Number(m[7]) / 1000);
}

/** An age as Python's str(timedelta) prints it (ist.py strips the comma after "days"). */
export function formatAge(ms: number): string {
  const neg = ms < 0;
  let us = Math.round(Math.abs(ms) * 1000);
  const days = Math.floor(us / 86_400_000_000);
  us -= days * 86_400_000_000;
  const h = Math.floor(us / 3_600_000_000);
  us -= h * 3_600_000_000;
  const m = Math.floor(us / 60_000_000);
  us -= m * 60_000_000;
  const s = Math.floor(us / 1_000_000);
  us -= s * 1_000_000;
  const clock = `${h}:${p2(m)}:${p2(s)}${us ? `.${String(us).padStart(6, '0')}` : ''}`;
  const body = days ? `${days} day${days === 1 ? '' : 's'} ${clock}` : clock;
  return neg ? `-${body}` : body;
}
