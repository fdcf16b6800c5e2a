// Structured JSON logs on stderr, one object per line. LOUPE_LOG_LEVEL = debug | info | warn | error | silent.
type Level = 'debug' | 'info' | 'warn' | 'error';
const order: Record<Level | 'silent', number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

export interface Logger {
  debug(msg: string, extra?: Record<string, unknown>): void;
  info(msg: string, extra?: Record<string, unknown>): void;
  warn(msg: string, extra?: Record<string, unknown>): void;
  error(msg: string, extra?: Record<string, unknown>): void;
  child(bindings: Record<string, unknown>): Logger;
}

export function createLogger(bindings: Record<string, unknown> = {}, level = process.env.LOUPE_LOG_LEVEL ?? 'info'): Logger {
  const min = order[level as Level] ?? order.info;
  const write = (lvl: Level, msg: string, extra?: Record<string, unknown>) => {
    if (order[lvl] < min) return;
    process.stderr.write(`${JSON.stringify({ time: new Date().toISOString(), level: lvl, msg, ...bindings, ...extra })}\n`);
  };
  return {
    debug: (m, e) => write('debug', m, e),
    info: (m, e) => write('info', m, e),
    warn: (m, e) => write('warn', m, e),
    error: (m, e) => write('error', m, e),
    child: (b) => createLogger({ ...bindings, ...b }, level),
  };
}

export const log = createLogger();

/** The model layer's default logger (a caller passes its own child logger where it has one). */
export function modelLog(): Logger {
  return log.child({ component: 'models' });
}
