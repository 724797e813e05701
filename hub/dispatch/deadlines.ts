/**
 * Report deadlines by urgency, pure. Emergency: `emergencyDeadlineMinutes` after arrival
 * (target `emergencyTargetMinutes`, when the case turns at risk). Scheduled: the end of the
 * arrival day in the site's zone. Deferred: the end of the next working day in the site's zone
 * and holiday calendar. An agreement's agreed response time, when set, replaces the default.
 * Contract: returns UTC milliseconds; `atRiskAt` ≤ `deadlineAt` and ≥ `receivedAt`.
 */
import type { DispatchPolicy, HolidayRegion } from '../../protocol/dispatch.ts';
import type { Urgency } from '../../protocol/common.ts';
import type { HolidayCalendar } from './rota/holidays.ts';
import type { ZoneFormatter } from './rota/zone.ts';

export interface DeadlineInput {
  urgency: Urgency;
  receivedAt: number;
  zone: ZoneFormatter;
  region: HolidayRegion;
  holidays: HolidayCalendar;
  policy: DispatchPolicy;
  agreedMinutes?: number;
}

export interface Deadline {
  deadlineAt: number;
  atRiskAt: number;
}

const MIN = 60_000;

export function deadlineFor(i: DeadlineInput): Deadline {
  const { urgency, receivedAt, policy } = i;
  let deadlineAt: number;
  if (i.agreedMinutes !== undefined) deadlineAt = receivedAt + i.agreedMinutes * MIN;
  else if (urgency === 'emergency') deadlineAt = receivedAt + policy.emergencyDeadlineMinutes * MIN;
  else if (urgency === 'scheduled') deadlineAt = i.zone.startOfNextDay(receivedAt);
  else deadlineAt = i.zone.startOfNextDay(i.zone.startOfDay(i.holidays.nextWorkingDay(i.zone.localDate(receivedAt), i.region)));
  let atRiskAt: number;
  if (urgency === 'emergency') atRiskAt = receivedAt + Math.min(policy.emergencyTargetMinutes * MIN, deadlineAt - receivedAt);
  else atRiskAt = deadlineAt - policy.atRiskBeforeMinutes[urgency] * MIN;
  return { deadlineAt, atRiskAt: Math.min(deadlineAt, Math.max(receivedAt, atRiskAt)) };
}
