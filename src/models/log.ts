// The model layer logs through this small interface; src/log.ts's Logger satisfies it. Default: JSON lines on stderr.
export interface ModelLogger {
  warn(msg: string, extra?: Record<string, unknown>): void;
}

export const stderrLogger: ModelLogger = {
  warn(msg, extra) {
    process.stderr.write(`${JSON.stringify({ time: new Date().toISOString(), level: 'warn', msg, component: 'models', ...extra })}\n`);
  },
};
