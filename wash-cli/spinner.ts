// A spinner on stderr while wash waits (for an event, a host, a server). Only when stderr is a
// terminal: in a pipe or a log file it would be noise, so there it does nothing at all.

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
const FRAME_MS = 80;

export interface Spinner {
  /** Replaces the text shown beside the spinner. */
  update(text: string): void;
  /** Removes the spinner line; safe to call more than once. */
  stop(): void;
}

const SILENT: Spinner = { update: () => undefined, stop: () => undefined };

export function startSpinner(text: string, stream: NodeJS.WriteStream = process.stderr): Spinner {
  if (!stream.isTTY) return SILENT;
  let shown = text;
  let frame = 0;
  const draw = () => {
    stream.write(`\r\x1b[K${FRAMES[frame % FRAMES.length]} ${shown}`);
    frame += 1;
  };
  draw();
  const timer = setInterval(draw, FRAME_MS);
  timer.unref(); // a spinner never keeps wash alive
  let stopped = false;
  return {
    update(next: string) {
      shown = next;
    },
    stop() {
      if (stopped) return;
      stopped = true;
      clearInterval(timer);
      stream.write('\r\x1b[K');
    },
  };
}

/** Runs `work` with a spinner showing `text`, and removes the spinner however it ends. */
export async function withSpinner<T>(text: string, work: () => Promise<T>): Promise<T> {
  const spinner = startSpinner(text);
  try {
    return await work();
  } finally {
    spinner.stop();
  }
}
