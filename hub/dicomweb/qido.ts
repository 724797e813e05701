/**
 * QIDO-RS (search) for signed-in users: studies, a study's series, a series' instances, as
 * DICOM JSON (`application/dicom+json`). Matching on patient-level attributes requires the
 * patient:read permission (403 otherwise, so nothing leaks through filtering). Every query is
 * audited (DCM 110112) before the answer is sent.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { isWellFormedUid } from '../../lib/dicom/uid.ts';
import { HubError } from '../errors.ts';
import { userOf } from '../auth/guard.ts';
import { roleMay, userMay } from '../auth/roles.ts';
import type { HubContext } from '../context.ts';
import type { StudyRecord } from '../catalog/study-record.ts';
import { studyJson, seriesJson, instanceJson } from './json-model.ts';
import { values, paging, wildcardMatch, dateMatch, STUDY_KEYS, SERIES_KEYS, INSTANCE_KEYS, type RawQuery } from './query.ts';

export function baseUrlOf(request: FastifyRequest): string {
  return `${request.protocol}://${request.host}`;
}

export function assertUid(uid: string, what: string): void {
  if (!isWellFormedUid(uid)) throw new HubError('RELAIS_BAD_REQUEST', `${what} is not a well-formed UID`);
}

const DICOM_JSON = 'application/dicom+json';

export function registerQido(app: FastifyInstance, ctx: HubContext): void {
  const access = userMay('studies:read');

  app.get('/dicomweb/studies', { config: { access } }, async (request, reply) => {
    const user = userOf(request);
    const q = request.query as RawQuery;
    const withPatient = roleMay(user.role, 'patient:read');
    const uids = values(q, 'StudyInstanceUID', STUDY_KEYS.StudyInstanceUID);
    const patientId = values(q, 'PatientID', STUDY_KEYS.PatientID);
    const patientName = values(q, 'PatientName', STUDY_KEYS.PatientName);
    const accession = values(q, 'AccessionNumber', STUDY_KEYS.AccessionNumber);
    const studyDate = values(q, 'StudyDate', STUDY_KEYS.StudyDate);
    const modalities = values(q, 'ModalitiesInStudy', STUDY_KEYS.ModalitiesInStudy);
    if (!withPatient && (patientId || patientName || accession)) {
      throw new HubError('RELAIS_AUTH_FORBIDDEN', 'matching on patient attributes needs the patient:read permission');
    }
    for (const u of uids ?? []) assertUid(u, 'StudyInstanceUID');
    const { limit, offset, capped } = paging(q, ctx.options.qidoDefaultLimit, ctx.options.qidoMaxLimit);
    const all = await ctx.catalog.list(uids ? { studyInstanceUids: uids } : {});
    const match = (s: StudyRecord) =>
      (!patientId || patientId.includes(s.patient.id ?? '')) &&
      (!patientName || patientName.some((p) => wildcardMatch(p, s.patient.name))) &&
      (!accession || accession.includes(s.dicom.accessionNumber ?? '')) &&
      (!studyDate || studyDate.some((d) => dateMatch(d, s.dicom.studyDate))) &&
      (!modalities || modalities.some((m) => s.modalities.includes(m)));
    const matched = all.filter(match);
    const page = matched.slice(offset, offset + limit);
    await ctx.audit.record({
      event: 'query', action: 'qido-studies', actor: { kind: 'user', id: user.userId, role: user.role }, outcome: 'success',
      ip: request.ip, count: page.length, ...(uids?.length === 1 ? { studyInstanceUid: uids[0] } : {}),
    });
    if (capped || matched.length > offset + limit) {
      reply.header('warning', '299 relais: "The number of results exceeded the maximum supported by the server. Additional results can be requested."');
    }
    reply.type(DICOM_JSON);
    return page.map((s) => studyJson(s, baseUrlOf(request), withPatient));
  });

  app.get('/dicomweb/studies/:study/series', { config: { access } }, async (request, reply) => {
    const user = userOf(request);
    const { study } = request.params as { study: string };
    assertUid(study, 'study');
    const q = request.query as RawQuery;
    const { limit, offset } = paging(q, ctx.options.qidoDefaultLimit, ctx.options.qidoMaxLimit);
    const seriesUids = values(q, 'SeriesInstanceUID', SERIES_KEYS.SeriesInstanceUID);
    const modality = values(q, 'Modality', SERIES_KEYS.Modality);
    const number = values(q, 'SeriesNumber', SERIES_KEYS.SeriesNumber);
    const known = await ctx.catalog.get(study);
    const series = known ? (await ctx.indexes.get(study)).series() : [];
    const matched = series.filter(
      (s) =>
        (!seriesUids || seriesUids.includes(s.seriesInstanceUid)) &&
        (!modality || modality.includes(s.modality ?? '')) &&
        (!number || number.includes(String(s.seriesNumber ?? ''))),
    );
    const page = matched.slice(offset, offset + limit);
    await ctx.audit.record({
      event: 'query', action: 'qido-series', actor: { kind: 'user', id: user.userId, role: user.role }, outcome: 'success',
      ip: request.ip, studyInstanceUid: study, count: page.length,
    });
    reply.type(DICOM_JSON);
    return page.map((s) => seriesJson(study, s, baseUrlOf(request)));
  });

  app.get('/dicomweb/studies/:study/series/:series/instances', { config: { access } }, async (request, reply) => {
    const user = userOf(request);
    const { study, series } = request.params as { study: string; series: string };
    assertUid(study, 'study');
    assertUid(series, 'series');
    const q = request.query as RawQuery;
    const { limit, offset } = paging(q, ctx.options.qidoDefaultLimit, ctx.options.qidoMaxLimit);
    const sops = values(q, 'SOPInstanceUID', INSTANCE_KEYS.SOPInstanceUID);
    const classes = values(q, 'SOPClassUID', INSTANCE_KEYS.SOPClassUID);
    const numbers = values(q, 'InstanceNumber', INSTANCE_KEYS.InstanceNumber);
    const known = await ctx.catalog.get(study);
    const entries = known ? (await ctx.indexes.get(study)).instances(series) : [];
    const matched = entries.filter(
      (e) =>
        (!sops || sops.includes(e.sopInstanceUid)) &&
        (!classes || classes.includes(e.sopClassUid)) &&
        (!numbers || numbers.includes(String(e.instanceNumber ?? ''))),
    );
    const page = matched.slice(offset, offset + limit);
    await ctx.audit.record({
      event: 'query', action: 'qido-instances', actor: { kind: 'user', id: user.userId, role: user.role }, outcome: 'success',
      ip: request.ip, studyInstanceUid: study, seriesInstanceUid: series, count: page.length,
    });
    reply.type(DICOM_JSON);
    return page.map((e) => instanceJson(study, e, baseUrlOf(request)));
  });
}
