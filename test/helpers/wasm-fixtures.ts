// Tiny, hand-assembled WebAssembly binaries for tests: real bytes that validate and run,
// small enough to read here. Each string is one part of the binary, in hex.

function hex(...parts: string[]): Uint8Array {
  return Uint8Array.from(Buffer.from(parts.join('').replaceAll(' ', ''), 'hex'));
}

/** A core module exporting `answer: () -> i32` that returns 42. */
export const ANSWER_MODULE = hex(
  '0061736d 01000000', // \0asm, version 1
  '01 05 01 60 00 01 7f', // type section: () -> i32
  '03 02 01 00', // function section: one function of type 0
  '07 0a 01 06 616e73776572 00 00', // export section: "answer" = func 0
  '0a 06 01 04 00 41 2a 0b', // code section: i32.const 42; end
);

/** An empty component (`(component)`) with a custom section "note" = "hello" for some body. */
export const EMPTY_COMPONENT = hex(
  '0061736d 0d000100', // \0asm, version 0x0d, layer 1
  '00 0a 04 6e6f7465 68656c6c6f', // custom section "note" = "hello"
);

/** Runs the `answer` export of a module built from ANSWER_MODULE (signed or not). */
export function runAnswer(bytes: Uint8Array): number {
  const instance = new WebAssembly.Instance(new WebAssembly.Module(Uint8Array.from(bytes)));
  return (instance.exports.answer as () => number)();
}
