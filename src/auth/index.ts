/** Accounts, passwords (scrypt), sessions (HttpOnly cookie) and role checks for every HTTP part of DR-FDS. */
export { AuthStore, minimumPasswordLength, type AuthStoreOptions, type AuthUser, type LoginResult, type NewUser, type Role } from './AuthStore.js';
export { hashPassword, verifyPassword, defaultScryptParameters, type ScryptParameters } from './password.js';
export { authenticate, currentUser, requireRole, requireUser, sessionCookieName, sessionTokenOf, type AuthEnv, type AuthVariables } from './middleware.js';
export { createAuthRoutes, type AuthRoutesOptions } from './authRoutes.js';
export { errorResponse } from './errorResponse.js';
export { authMigrations, authPostgresMigrations } from './migrations.js';
