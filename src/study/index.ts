/** Reader studies: domain, storage, HTTP app and analysis. `drfds serve` mounts `createStudyApp` at `/study`. */
export { createStudyApp, type StudyAppDeps } from './http/createStudyApp.js';
export { StudyStore, defaultWashoutDays, type NewStudy, type NewStudyCase, type ReadSubmission, type SessionAvailability, type AuditEntry } from './store/StudyStore.js';
export { studyMigrations } from './store/migrations.js';
export { loadStudyCases, type CaseSelection } from './setup/loadStudyCases.js';
export { runModelOnCases, modelOutputsFromPredictions, maxModelBoxesPerCase } from './setup/modelOutputs.js';
export { analyzeStudy, studyImrmc, type StudyAnalysis, type ArmComparison, type DecisionMetrics } from './analysis/studyAnalysis.js';
export { studyReportHtml } from './analysis/studyReportHtml.js';
export { wilcoxonSignedRank } from './analysis/wilcoxonSignedRank.js';
export type * from './domain/types.js';
