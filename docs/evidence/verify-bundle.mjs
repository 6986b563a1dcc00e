#!/usr/bin/env node
// Checks a Keyhold evidence bundle without Keyhold's code: recomputes every event hash, follows the chain
// and verifies the gateway's Ed25519 signature, exactly as docs/evidence.md describes. Node's own modules
// only (no npm package), so a buyer, a shop or an arbiter can read all of it before trusting it.
//
//   node verify-bundle.mjs <signed-bundle.json> <evidence-key.json>
//
// <signed-bundle.json> is the answer of GET /v1/buyer/orders/{id}/evidence ({bundle, signature, algorithm,
// key_id}); <evidence-key.json> is the answer of GET /v1/evidence-key ({algorithm, key_id, public_key}).
// Exit status: 0 verified; 1 the bundle does not verify (each problem is named); 2 the input cannot be read.
import { readFileSync } from 'node:fs';
import { createHash, createPublicKey, verify } from 'node:crypto';

const FORMAT = 'keyhold-evidence-bundle-v1';
const ALGORITHM = 'Ed25519';
const EVENT_VERSION_TAG = 'keyhold-evidence-v1';
const GENESIS_HASH = '0'.repeat(64);
const HASH = /^[0-9a-f]{64}$/;
// The gateway refuses nesting deeper than 32 when it signs; anything deeper is not one of its bundles.
const DEPTH_MAX = 32;
const PROBLEMS_SHOWN_MAX = 20;

class InputError extends Error {}

// ---- JSON, read so that nothing is lost: integers stay exact (BigInt) however large, object members keep
// their names in a Map, and a member named twice is refused (two readers could see two different bundles).

function parseJson(text, what) {
  let at = 0;
  const fail = (problem) => {
    throw new InputError(`${what}: ${problem} at character ${at}`);
  };
  const space = () => {
    while (at < text.length && ' \t\n\r'.includes(text[at])) at++;
  };
  const value = (depth) => {
    if (depth > DEPTH_MAX) fail(`nesting deeper than ${DEPTH_MAX}`);
    space();
    const c = text[at];
    if (c === '{') return object(depth);
    if (c === '[') return array(depth);
    if (c === '"') return string();
    for (const [word, literal] of [['true', true], ['false', false], ['null', null]]) {
      if (text.startsWith(word, at)) {
        at += word.length;
        return literal;
      }
    }
    return number();
  };
  const object = (depth) => {
    const members = new Map();
    at++;
    space();
    if (text[at] === '}') {
      at++;
      return members;
    }
    for (;;) {
      space();
      if (text[at] !== '"') fail('expected a member name');
      const name = string();
      if (members.has(name)) fail(`member "${name}" appears twice`);
      space();
      if (text[at] !== ':') fail("expected ':'");
      at++;
      members.set(name, value(depth + 1));
      space();
      if (text[at] === ',') {
        at++;
      } else if (text[at] === '}') {
        at++;
        return members;
      } else {
        fail("expected ',' or '}'");
      }
    }
  };
  const array = (depth) => {
    const items = [];
    at++;
    space();
    if (text[at] === ']') {
      at++;
      return items;
    }
    for (;;) {
      items.push(value(depth + 1));
      space();
      if (text[at] === ',') {
        at++;
      } else if (text[at] === ']') {
        at++;
        return items;
      } else {
        fail("expected ',' or ']'");
      }
    }
  };
  const string = () => {
    const start = at;
    at++;
    while (at < text.length && text[at] !== '"') {
      if (text.charCodeAt(at) < 0x20) fail('unescaped control character in a string');
      at += text[at] === '\\' ? 2 : 1;
    }
    if (at >= text.length) fail('unterminated string');
    at++;
    // The string's escapes are plain JSON; the built-in reader decodes them.
    return JSON.parse(text.slice(start, at));
  };
  const number = () => {
    const pattern = /-?(?:0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/y;
    pattern.lastIndex = at;
    const match = pattern.exec(text);
    if (!match) fail('expected a JSON value');
    if (match[1] !== undefined || match[2] !== undefined) fail('a bundle holds integers only, found a fraction');
    at = pattern.lastIndex;
    return BigInt(match[0]);
  };
  const result = value(0);
  space();
  if (at !== text.length) fail('unexpected text after the JSON value');
  return result;
}

// ---- RFC 8785 (JCS) for the values a bundle holds: no whitespace, members sorted by UTF-16 code units (what
// JavaScript's default sort compares), strings as JSON.stringify writes them, integers in plain decimal.

function canonical(value) {
  if (value === null || value === true || value === false) return String(value);
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  const names = [...value.keys()].sort();
  return `{${names.map((name) => `${JSON.stringify(name)}:${canonical(value.get(name))}`).join(',')}}`;
}

// ---- one event's hash: SHA-256 over length-prefixed fields, each `<UTF-8 byte length>:<UTF-8 bytes>,`

function eventHash(orderId, seq, type, at, details, prevHash) {
  const digest = createHash('sha256');
  const field = (text) => {
    const bytes = Buffer.from(text, 'utf8');
    digest.update(`${bytes.length}:`, 'ascii');
    digest.update(bytes);
    digest.update(',', 'ascii');
  };
  field(EVENT_VERSION_TAG);
  field(orderId);
  field(seq.toString());
  field(type);
  field(at);
  field(details.size.toString());
  for (const name of [...details.keys()].sort()) {
    field(name);
    field(details.get(name));
  }
  field(prevHash);
  return digest.digest('hex');
}

/** Nanoseconds since the epoch of an RFC 3339 UTC time as the gateway writes it, or null if malformed. */
function epochNanos(time) {
  const match = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?Z$/.exec(time);
  const millis = match ? Date.parse(`${match[1]}Z`) : NaN;
  if (Number.isNaN(millis)) return null;
  return BigInt(millis) * 1_000_000n + BigInt((match[2] ?? '').padEnd(9, '0'));
}

// ---- reading members with their expected JSON types

const kindOf = (value) => {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (value instanceof Map) return 'object';
  if (typeof value === 'bigint') return 'integer';
  return typeof value;
};

function member(object, name, kind, where) {
  const value = object instanceof Map ? object.get(name) : undefined;
  if (kindOf(value) !== kind) {
    throw new InputError(`${where}.${name} must be ${kind === 'integer' ? 'an' : 'a'} ${kind}, `
        + `but is ${value === undefined ? 'missing' : kindOf(value)}`);
  }
  return value;
}

function readJsonFile(path, what) {
  let text;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new InputError(`${what}: cannot read ${path} (${error.code ?? error.message})`);
  }
  return parseJson(text, what);
}

// ---- the checks

function check(signed, key) {
  const problems = [];

  const bundle = member(signed, 'bundle', 'object', 'answer');
  const signature = member(signed, 'signature', 'string', 'answer');
  const algorithm = member(signed, 'algorithm', 'string', 'answer');
  const signedKeyId = member(signed, 'key_id', 'string', 'answer');
  const keyAlgorithm = member(key, 'algorithm', 'string', 'key');
  const keyId = member(key, 'key_id', 'string', 'key');
  const publicKeyBase64 = member(key, 'public_key', 'string', 'key');

  const format = member(bundle, 'format', 'string', 'bundle');
  if (format !== FORMAT) problems.push(`the bundle's format is "${format}", not "${FORMAT}"`);
  const order = member(bundle, 'order', 'object', 'bundle');
  const orderId = member(order, 'id', 'string', 'bundle.order');

  // The key: Ed25519, given as X.509 SubjectPublicKeyInfo DER in base64, named by the SHA-256 of that DER.
  if (algorithm !== ALGORITHM || keyAlgorithm !== ALGORITHM) {
    problems.push(`the algorithm must be ${ALGORITHM}, but the bundle says "${algorithm}" and the key "${keyAlgorithm}"`);
  }
  const der = Buffer.from(publicKeyBase64, 'base64');
  const derivedKeyId = `ed25519-${createHash('sha256').update(der).digest('hex').slice(0, 16)}`;
  if (derivedKeyId !== keyId) {
    problems.push(`the public key's id is ${derivedKeyId}, but the key answer calls it ${keyId}`);
  }
  if (signedKeyId !== keyId) {
    problems.push(`the bundle was signed with key ${signedKeyId}, but the key given is ${keyId}`
        + ' (fetch the key the bundle names)');
  }
  const bundleKeyId = member(bundle, 'key_id', 'string', 'bundle');
  if (bundleKeyId !== signedKeyId) {
    problems.push(`the bundle names key ${bundleKeyId} inside and ${signedKeyId} outside`);
  }

  // The chain: every hash recomputed from the event's own fields, each event linked to the one before.
  const events = member(bundle, 'events', 'array', 'bundle');
  let previousHash = GENESIS_HASH;
  let previousAt = null;
  events.forEach((event, i) => {
    const where = `bundle.events[${i}]`;
    const seq = member(event, 'seq', 'integer', where);
    const type = member(event, 'type', 'string', where);
    const at = member(event, 'at', 'string', where);
    const details = member(event, 'details', 'object', where);
    const prevHash = member(event, 'prev_hash', 'string', where);
    const hash = member(event, 'hash', 'string', where);
    const name = `event ${i + 1} (${type})`;
    for (const [detail, value] of details) {
      if (typeof value !== 'string') throw new InputError(`${where}.details.${detail} must be a string`);
    }
    if (seq !== BigInt(i + 1)) problems.push(`${name} has sequence number ${seq}, not ${i + 1}`);
    if (prevHash !== previousHash) {
      problems.push(`${name} does not link to the event before it: prev_hash ${prevHash}, expected ${previousHash}`);
    }
    const computed = eventHash(orderId, seq, type, at, details, prevHash);
    if (!HASH.test(hash) || computed !== hash) {
      problems.push(`${name} was altered: its content hashes to ${computed}, but its hash says ${hash}`);
    }
    const nanos = epochNanos(at);
    if (nanos === null) {
      problems.push(`${name} has a malformed time "${at}"`);
    } else if (previousAt !== null && nanos < previousAt) {
      problems.push(`${name} is dated ${at}, before the event before it`);
    }
    previousHash = hash;
    previousAt = nanos ?? previousAt;
  });
  if (events.length === 0) problems.push('the bundle holds no events');

  // The gateway's own summary of the chain must agree with what was recomputed.
  const chain = member(bundle, 'chain', 'object', 'bundle');
  const length = member(chain, 'length', 'integer', 'bundle.chain');
  if (length !== BigInt(events.length)) {
    problems.push(`the chain summary counts ${length} events, but the bundle holds ${events.length}`);
  }
  if (events.length > 0 && chain.get('head_hash') !== previousHash) {
    problems.push(`the chain summary ends at ${chain.get('head_hash')}, but the last event's hash is ${previousHash}`);
  }
  if (chain.get('intact') !== true) {
    problems.push(`the gateway itself reported the chain broken: ${chain.get('problem')}`);
  }

  // The signature: Ed25519 over the UTF-8 bytes of the bundle member in RFC 8785 canonical form.
  const message = Buffer.from(canonical(bundle), 'utf8');
  let signatureValid = false;
  try {
    const publicKey = createPublicKey({ key: der, format: 'der', type: 'spki' });
    signatureValid = verify(null, message, publicKey, Buffer.from(signature, 'base64'));
  } catch (error) {
    problems.push(`the public key cannot be used: ${error.message}`);
  }
  if (!signatureValid) {
    problems.push(`the signature does not verify with key ${keyId}: the bundle was changed after it was signed,`
        + ' or another key signed it');
  }

  return { problems, orderId, state: order.get('state'), events: events.length, head: previousHash, keyId };
}

function main(args) {
  if (args.length !== 2) {
    process.stderr.write('usage: node verify-bundle.mjs <signed-bundle.json> <evidence-key.json>\n'
        + '  <signed-bundle.json>  the answer of GET /v1/buyer/orders/{id}/evidence\n'
        + '  <evidence-key.json>   the answer of GET /v1/evidence-key\n');
    return 2;
  }
  let result;
  try {
    result = check(readJsonFile(args[0], 'signed bundle'), readJsonFile(args[1], 'evidence key'));
  } catch (error) {
    if (error instanceof InputError) {
      process.stderr.write(`cannot verify: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
  if (result.problems.length > 0) {
    const shown = result.problems.slice(0, PROBLEMS_SHOWN_MAX);
    const more = result.problems.length - shown.length;
    process.stderr.write(`NOT VERIFIED: evidence of order ${result.orderId}\n`
        + shown.map((problem) => `  - ${problem}\n`).join('')
        + (more > 0 ? `  ... and ${more} more\n` : ''));
    return 1;
  }
  process.stdout.write(`verified: evidence of order ${result.orderId} (state ${result.state}):`
      + ` ${result.events} events, every hash recomputed and linked, chain head ${result.head};`
      + ` signature by ${result.keyId} valid\n`);
  return 0;
}

process.exitCode = main(process.argv.slice(2));
