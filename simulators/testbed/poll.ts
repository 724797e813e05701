/** Polling with a deadline: see lib/poll.ts. */
export { pollUntil } from '../../lib/poll.ts';
