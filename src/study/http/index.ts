export { createStudyApp, type StudyAppDeps } from './createStudyApp.js';
