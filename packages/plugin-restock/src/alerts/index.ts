export { ALERT_RULES, alertSeverity, classAlert, onRentSurvival, SEVERITIES, severityRank } from './class-alert.js';
export type { ClassAlert, Severity } from './class-alert.js';
