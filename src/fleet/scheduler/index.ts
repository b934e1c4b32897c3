// fleet's scheduler (pure): placement rules and one reconcile pass.
export * from './placement.js';
export * from './reconcile.js';
