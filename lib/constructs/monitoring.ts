import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import {
  Alarm,
  ComparisonOperator,
  Dashboard,
  GraphWidget,
  type IMetric,
  MathExpression,
  Metric,
  Stats,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import { Topic } from 'aws-cdk-lib/aws-sns';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { type HubMetric, METRICS_NAMESPACE, STAGE_DIMENSION } from '../../functions/core/metrics.js';
import type { StageName } from '../stage.js';

/** The failure-rate alarm: failed / (delivered + failed) over this window, above this share. */
export const FAILURE_RATE_ALARM = {
  windowMinutes: 15,
  /** Percent of the deliveries that ended in the window. */
  thresholdPercent: 10,
  /** Fewer ended deliveries than this in the window never page (one failure of one is 100 %). */
  minimumEnded: 20,
} as const;

/**
 * The age alarm: the oldest undelivered delivery (rows retrying or held, a job waiting for an in-flight
 * permit, or a job not yet claimed).
 */
export const OLDEST_UNDELIVERED_ALARM = { thresholdSeconds: 3600, periodMinutes: 5 } as const;

export interface MonitoringProps {
  readonly stage: StageName;
  /** The delivery queues, whose oldest message is a job no worker has claimed yet. */
  readonly deliveryQueues: readonly { readonly id: string; readonly queue: Queue }[];
  /** Every dead-letter queue, charted by depth (their alarms are the stack's own). */
  readonly deadLetters: readonly { readonly id: string; readonly queue: Queue }[];
}

/**
 * The stage's CloudWatch dashboard and its metric alarms, on the metrics the functions publish in EMF
 * (functions/core/metrics.ts) and on the queues; plus the topic every alarm of the stack notifies.
 * The alarm topic is not the events topic: operational events are typed messages for subscribers
 * filtering on `type`, and an alarm's state change is CloudWatch's own JSON, for people on call.
 */
export class Monitoring extends Construct {
  readonly alarmTopic: Topic;
  readonly dashboard: Dashboard;
  readonly failureRateAlarm: Alarm;
  readonly oldestUndeliveredAlarm: Alarm;

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const metric = (name: HubMetric, statistic: string, period = Duration.minutes(5), label?: string) =>
      new Metric({
        namespace: METRICS_NAMESPACE,
        metricName: name,
        dimensionsMap: { [STAGE_DIMENSION]: props.stage },
        statistic,
        period,
        ...(label ? { label } : {}),
      });

    // CloudWatch publishes to an encrypted topic only if the key lets it (and the topic's policy,
    // which enforceSSL writes, names it).
    const key = new Key(this, 'AlarmTopicKey', {
      description: `Crossdock ${props.stage} alarm topic: encrypts its messages at rest`,
      enableKeyRotation: true,
      removalPolicy: props.stage === 'prod' ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });
    const fromThisAccountsAlarms = {
      StringEquals: { 'aws:SourceAccount': stack.account },
      ArnLike: {
        'aws:SourceArn': `arn:${stack.partition}:cloudwatch:${stack.region}:${stack.account}:alarm:*`,
      },
    };
    key.addToResourcePolicy(
      new PolicyStatement({
        principals: [new ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: fromThisAccountsAlarms,
      }),
    );
    this.alarmTopic = new Topic(this, 'AlarmTopic', { masterKey: key, enforceSSL: true });
    this.alarmTopic.addToResourcePolicy(
      new PolicyStatement({
        principals: [new ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [this.alarmTopic.topicArn],
        conditions: fromThisAccountsAlarms,
      }),
    );

    const window = Duration.minutes(FAILURE_RATE_ALARM.windowMinutes);
    const ended = {
      delivered: metric('DeliveriesDelivered', Stats.SUM, window),
      failed: metric('DeliveriesFailed', Stats.SUM, window),
    };
    const { minimumEnded } = FAILURE_RATE_ALARM;
    const failureRate = new MathExpression({
      // No ended delivery publishes nothing: FILL makes the window's sums 0 instead of missing.
      expression: `IF((FILL(delivered, 0) + FILL(failed, 0)) >= ${minimumEnded}, 100 * FILL(failed, 0) / (FILL(delivered, 0) + FILL(failed, 0)), 0)`,
      usingMetrics: ended,
      label: `Failure rate % (${FAILURE_RATE_ALARM.windowMinutes} min, ≥ ${minimumEnded} ended)`,
      period: window,
    });
    this.failureRateAlarm = new Alarm(this, 'FailureRateAlarm', {
      alarmDescription: `More than ${FAILURE_RATE_ALARM.thresholdPercent} % of the deliveries that ended in ${FAILURE_RATE_ALARM.windowMinutes} minutes failed (counted only from ${minimumEnded} ended deliveries): see GET /admin/stats for the integrations, GET /admin/messages?status=failed for the reasons.`,
      metric: failureRate,
      threshold: FAILURE_RATE_ALARM.thresholdPercent,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });

    const agePeriod = Duration.minutes(OLDEST_UNDELIVERED_ALARM.periodMinutes);
    const queueAges = Object.fromEntries(
      props.deliveryQueues.map((q, i) => [
        `queue${i}`,
        q.queue.metricApproximateAgeOfOldestMessage({
          period: agePeriod,
          statistic: Stats.MAXIMUM,
          label: `${q.id}: oldest job (s)`,
        }),
      ]),
    );
    const oldestAge = new MathExpression({
      // Rows retrying or held and jobs waiting for a permit (ms), jobs not yet claimed (SQS, s): the
      // oldest, in seconds.
      expression: `MAX([FILL(rows, 0) / 1000, ${Object.keys(queueAges)
        .map((k) => `FILL(${k}, 0)`)
        .join(', ')}])`,
      usingMetrics: {
        rows: metric('OldestUndeliveredAgeMs', Stats.MAXIMUM, agePeriod),
        ...queueAges,
      },
      label: 'Oldest undelivered delivery (s)',
      period: agePeriod,
    });
    this.oldestUndeliveredAlarm = new Alarm(this, 'OldestUndeliveredAlarm', {
      alarmDescription: `A delivery has waited more than ${OLDEST_UNDELIVERED_ALARM.thresholdSeconds / 60} minutes: retrying (a failing or rate-limiting partner), held (a disabled integration: POST /admin/integrations/{id}/enable), waiting for an in-flight permit (a slow partner at its batchSize) or its job not yet claimed (a backed-up delivery queue). GET /admin/stats names the oldest.`,
      metric: oldestAge,
      threshold: OLDEST_UNDELIVERED_ALARM.thresholdSeconds,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });

    const graph = (title: string, left: IMetric[], width = 8) =>
      new GraphWidget({ title, left, width, height: 6 });
    this.dashboard = new Dashboard(this, 'Dashboard', {
      defaultInterval: Duration.hours(24),
      widgets: [
        [
          graph('Messages and deliveries (per 5 min)', [
            metric('MessagesAccepted', Stats.SUM, undefined, 'accepted'),
            metric('DeliveriesDelivered', Stats.SUM, undefined, 'delivered'),
            metric('DeliveriesFailed', Stats.SUM, undefined, 'failed'),
          ]),
          graph('Failure rate (%)', [failureRate]),
          graph('Sync packets (per 5 min)', [
            metric('PacketsConverted', Stats.SUM, undefined, 'converted'),
            metric('PacketsFailed', Stats.SUM, undefined, 'failed'),
          ]),
        ],
        [
          graph('Attempt latency (ms)', [
            metric('AttemptLatencyMs', Stats.p(50), undefined, 'p50'),
            metric('AttemptLatencyMs', Stats.p(99), undefined, 'p99'),
          ]),
          graph('Delivery age, accept → delivered (ms)', [
            metric('DeliveryAgeMs', Stats.p(50), undefined, 'p50'),
            metric('DeliveryAgeMs', Stats.p(99), undefined, 'p99'),
          ]),
          graph('Oldest undelivered delivery (s)', [oldestAge]),
        ],
        [
          graph(
            'Dead-letter queues (messages waiting)',
            props.deadLetters.map((d) =>
              d.queue.metricApproximateNumberOfMessagesVisible({
                period: Duration.minutes(5),
                statistic: Stats.MAXIMUM,
                label: d.id,
              }),
            ),
            24,
          ),
        ],
      ],
    });
  }

  /** Every alarm in `scope` notifies the alarm topic (when it goes off and when it clears). */
  notifyAll(scope: Construct): void {
    const action = new SnsAction(this.alarmTopic);
    for (const c of scope.node.findAll()) {
      if (c instanceof Alarm) {
        c.addAlarmAction(action);
        c.addOkAction(action);
      }
    }
  }
}
