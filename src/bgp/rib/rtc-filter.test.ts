import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Buffer } from 'node:buffer';
import { RtMembership } from './rtc-filter.js';
import { nlriKey } from '../wire/nlri.js';
import { parseExtCommunity } from '../wire/ext-community.js';

const rtc = (rt: string | null, prefixLen = 96, originAs = 64512) => nlriKey({ family: 'route-target', originAs, routeTarget: rt, prefixLen: rt === null ? 0 : prefixLen });
const rt = (s: string) => Buffer.from(parseExtCommunity(s)).toString('latin1');

test('exact route targets match whatever the origin AS; removal undoes addition', () => {
  const m = new RtMembership();
  assert.equal(m.wants([rt('target:64512:1')]), false);
  m.add(rtc('target:64512:1', 96, 65000));
  assert.equal(m.wants([rt('target:64512:2'), rt('target:64512:1')]), true);
  assert.equal(m.wants([rt('target:64512:2')]), false);
  m.add(rtc('target:64512:1', 96, 65001));
  m.remove(rtc('target:64512:1', 96, 65000));
  assert.equal(m.wants([rt('target:64512:1')]), true, 'still wanted through the second origin');
  m.remove(rtc('target:64512:1', 96, 65001));
  assert.equal(m.wants([rt('target:64512:1')]), false);
  assert.equal(m.size, 0);
});

test('the default RTC route wants everything; partial prefixes match leading bits', () => {
  const m = new RtMembership();
  m.add(rtc(null));
  assert.equal(m.wantsAll, true);
  assert.equal(m.wants([]), true);
  const p = new RtMembership();
  p.add(rtc('target:64512:0', 64)); // type, subtype and the 2-octet AS: every target of AS 64512
  assert.equal(p.wants([rt('target:64512:77')]), true);
  assert.equal(p.wants([rt('target:64513:77')]), false);
  const c = p.clone();
  p.remove(rtc('target:64512:0', 64));
  assert.equal(c.wants([rt('target:64512:1')]), true);
  assert.equal(p.wants([rt('target:64512:1')]), false);
});
