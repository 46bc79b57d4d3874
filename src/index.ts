export * from './polytomic-bulk-sync-canceller';
