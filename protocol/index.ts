/** The Relais protocol: versioned schemas, error codes and event maps shared by agent and hub. */
export * from './version.ts';
export * from './errors.ts';
export * from './common.ts';
export * from './heartbeat.ts';
export * from './upload.ts';
export * from './fleet.ts';
export * from './validate.ts';
export * from './routes.ts';
export * from './dispatch.ts';
export * from './ins.ts';
export * from './exams.ts';
export * from './clinical.ts';
export * from './messages.ts';
export * from './request-rules.ts';
export * from './enrolment.ts';
export * from './resumable.ts';
