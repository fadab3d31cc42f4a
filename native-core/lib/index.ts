// The typed API over the native core, shared by every ts* tool.
export * from './bytes';
export * from './cgroup-limits';
export * from './cgroups';
export * from './checks';
export * from './entry';
export * from './errors';
export * from './fds';
export * from './filesteps';
export * from './getopt';
export * from './kernel';
export * from './mountinfo';
export * from './plan';
export * from './program';
export * from './signals';
export * from './tool';
export * from './users';
export { addon, executorPath } from './native';
