/** Pages without data of their own (access refused): the shared header only. */
import { startFrame } from './frame.ts';

startFrame(() => {});
