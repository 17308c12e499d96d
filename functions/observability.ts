import { Logger } from '@aws-lambda-powertools/logger';

/** The one logger every handler, worker and use case writes through (JSON on Lambda). */
export const logger = new Logger({ serviceName: 'crossdock' });
