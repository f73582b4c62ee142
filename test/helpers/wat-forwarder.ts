// A hand-written 2022 wasmbus module (WAT, built in-process) that forwards every call it gets to
// its provider links: an operation starting with K (KeyValue.*) goes to wasmcloud:keyvalue, any
// other (Messaging.*) to wasmcloud:messaging, on the default link, with the same payload; the
// provider's reply (or error text) is its answer. A MessageSubscriber.HandleMessage is republished
// whole, as the body of a Messaging.Publish to `seen.messages`, so a test sees what was delivered.
// Lets one test drive every operation of a contract through an actor, whichever provider serves it.

import { parse } from '@bytecodealliance/jco';
import { signForTest } from './actors.ts';

/** The subject the forwarder republishes each delivered SubMessage to. */
export const SEEN_SUBJECT = 'seen.messages';

/** The forwarder's text, for one parse signed many times (the scale bench). */
export const FORWARDER_WAT = `
(module
  (import "wasmbus" "__guest_request" (func $guest_request (param i32 i32)))
  (import "wasmbus" "__guest_response" (func $guest_response (param i32 i32)))
  (import "wasmbus" "__guest_error" (func $guest_error (param i32 i32)))
  (import "wasmbus" "__host_call" (func $host_call (param i32 i32 i32 i32 i32 i32 i32 i32) (result i32)))
  (import "wasmbus" "__host_response" (func $host_response (param i32)))
  (import "wasmbus" "__host_response_len" (func $host_response_len (result i32)))
  (import "wasmbus" "__host_error" (func $host_error (param i32)))
  (import "wasmbus" "__host_error_len" (func $host_error_len (result i32)))
  (memory (export "memory") 48)
  (data (i32.const 0) "wasmcloud:keyvalue")
  (data (i32.const 32) "wasmcloud:messaging")
  (data (i32.const 64) "Messaging.Publish")
  ;; PubMessage {subject: "seen.messages", body: bin32 …}: map of 2, then the body's bin32 marker
  (data (i32.const 96) "\\82\\a7subject\\adseen.messages\\a4body\\c6")
  (func $copy (param $to i32) (param $from i32) (param $n i32)
    (local $i i32)
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (i32.store8 (i32.add (local.get $to) (local.get $i)) (i32.load8_u (i32.add (local.get $from) (local.get $i))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next))))
  ;; The host's answer to the last call as this call's answer: 1 when it succeeded, 0 when not.
  (func $answer (param $ok i32) (result i32)
    (local $len i32)
    (if (local.get $ok)
      (then
        (local.set $len (call $host_response_len))
        (call $host_response (i32.const 2097152))
        (call $guest_response (i32.const 2097152) (local.get $len))
        (return (i32.const 1))))
    (local.set $len (call $host_error_len))
    (call $host_error (i32.const 2097152))
    (call $guest_error (i32.const 2097152) (local.get $len))
    (i32.const 0))
  (func (export "__guest_call") (param $oplen i32) (param $msglen i32) (result i32)
    (local $out i32)
    (call $guest_request (i32.const 256) (i32.const 4096))
    ;; "MessageSubscriber.HandleMessage": byte 6 is 'e' (Messaging has 'i' there)
    (if (i32.and (i32.eq (i32.load8_u (i32.const 256)) (i32.const 0x4d))
                 (i32.eq (i32.load8_u (i32.const 262)) (i32.const 0x65)))
      (then
        (local.set $out (i32.const 1048576))
        (call $copy (local.get $out) (i32.const 96) (i32.const 29))
        (i32.store8 (i32.add (local.get $out) (i32.const 29)) (i32.shr_u (local.get $msglen) (i32.const 24)))
        (i32.store8 (i32.add (local.get $out) (i32.const 30)) (i32.shr_u (local.get $msglen) (i32.const 16)))
        (i32.store8 (i32.add (local.get $out) (i32.const 31)) (i32.shr_u (local.get $msglen) (i32.const 8)))
        (i32.store8 (i32.add (local.get $out) (i32.const 32)) (local.get $msglen))
        (call $copy (i32.add (local.get $out) (i32.const 33)) (i32.const 4096) (local.get $msglen))
        (return (call $answer (call $host_call (i32.const 0) (i32.const 0) (i32.const 32) (i32.const 19)
          (i32.const 64) (i32.const 17) (local.get $out) (i32.add (local.get $msglen) (i32.const 33)))))))
    (if (i32.eq (i32.load8_u (i32.const 256)) (i32.const 0x4b))
      (then
        (return (call $answer (call $host_call (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 18)
          (i32.const 256) (local.get $oplen) (i32.const 4096) (local.get $msglen))))))
    (call $answer (call $host_call (i32.const 0) (i32.const 0) (i32.const 32) (i32.const 19)
      (i32.const 256) (local.get $oplen) (i32.const 4096) (local.get $msglen)))))
`;

/** The forwarder, signed with `caps` (default: keyvalue and messaging) under a new actor key. */
export async function forwarderActor(
  caps: string[] = ['wasmcloud:keyvalue', 'wasmcloud:messaging'],
  name = 'forwarder',
): Promise<{ bytes: Uint8Array; id: string }> {
  const bytes = await parse(FORWARDER_WAT);
  return signForTest(bytes, { name, caps });
}
