/**
 * Who may open a case's clinical pages (request answer, report editor, acts): operators and
 * admins every case; a radiologist the cases assigned to them, those they were alerted for,
 * and those of their own team (cover between colleagues); other roles none. Pure over the
 * engine's read API. Not yours answers 404 (as the dispatch routes do), never 403, so case
 * ids do not leak.
 */
import type { DispatchCase } from '../../protocol/dispatch.ts';
import type { Rota } from '../../protocol/dispatch.ts';
import type { UserPrincipal } from '../auth/authenticator.ts';

export interface CaseReader {
  getCase(caseId: string): DispatchCase | undefined;
  readonly rota: Rota;
}

export function mayOpenCase(engine: CaseReader, user: Pick<UserPrincipal, 'role' | 'radiologistId'>, c: DispatchCase | undefined): boolean {
  if (user.role === 'operator' || user.role === 'admin') return true;
  if (user.role !== 'radiologist' || !user.radiologistId || !c) return false;
  const rid = user.radiologistId;
  if (c.assignee === rid || c.alerted.includes(rid)) return true;
  if (!c.teamId) return false;
  return engine.rota.teams.some((t) => t.id === c.teamId && t.members.includes(rid));
}

/** The case of a study (its own UID, or the request it answers). */
export function caseOfStudy(engine: CaseReader, caseIdOf: (uid: string) => string, studyInstanceUid: string): DispatchCase | undefined {
  return engine.getCase(caseIdOf(studyInstanceUid));
}
