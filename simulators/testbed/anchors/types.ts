/**
 * The transfer harness's vocabulary: a study on disk, one tool's run through the test bed, and
 * the hook every tool implements (DCMTK storescu and plain HTTP now, Relais's own agent → hub
 * transfer later). Contract of a `TransferTool`: it sends every file of `study` from site 0 to the
 * hub through `bed` (so through the tunnel and the relay), starting its own receiving end in the
 * hub namespace and stopping it before returning; `seconds` is the sender's wall time, connection
 * set-up included; `resentBytes` counts payload bytes the tool itself sent twice (not TCP
 * retransmissions), null if the tool cannot know.
 */
import type { Testbed } from '../testbed.ts';

export interface Study {
  /** e.g. "ct-54", "ct-300". */
  name: string;
  dir: string;
  files: string[];
  /** Sum of the files' sizes. */
  bytes: number;
}

export interface ToolRun {
  seconds: number;
  /** Bytes of the study that arrived complete and verified at the hub's end. */
  deliveredBytes: number;
  complete: boolean;
  resentBytes: number | null;
  /** Seconds from the last instance acknowledged to the modality to the first series preview
   * stored at the hub (negative: the preview was there before the modality finished); null when
   * the tool has no previews or none came. */
  firstPreviewSeconds?: number | null;
  detail?: Record<string, unknown>;
}

export interface TransferContext {
  bed: Testbed;
  study: Study;
  /** A scratch directory for this run (removed by the harness). */
  workDir: string;
  /** Give up after this long (the run reports complete: false). */
  capMs: number;
}

export type TransferTool = (ctx: TransferContext) => Promise<ToolRun>;
