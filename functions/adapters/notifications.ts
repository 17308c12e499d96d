import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';

/** What a push service hears: a packet is ready for one mobile user of an app area. */
export interface PacketReadyNotice {
  type: 'packet.ready';
  appArea: string;
  mobileUser: string;
  syncLogId: string;
  packetUniqueId: string;
  readyAt: string;
}

/** The port the packet worker publishes through (use-case tests hand in a recorder). */
export interface PacketNotices {
  packetReady(notice: PacketReadyNotice): Promise<void>;
}

// One client per process, here rather than in aws.ts, so only the packet worker's bundle carries SNS.
let sns: SNSClient | undefined;
const snsClient = () => {
  sns ??= new SNSClient({});
  return sns;
};

/**
 * Publishes packet notifications to the packet topic. appArea and mobileUser travel as message
 * attributes, so a subscriber's filter policy picks its users without reading the body.
 */
export class PacketNotifier implements PacketNotices {
  constructor(private readonly topicArn: string) {}

  async packetReady(notice: PacketReadyNotice): Promise<void> {
    await snsClient().send(
      new PublishCommand({
        TopicArn: this.topicArn,
        Message: JSON.stringify(notice),
        MessageAttributes: {
          type: { DataType: 'String', StringValue: notice.type },
          appArea: { DataType: 'String', StringValue: notice.appArea },
          mobileUser: { DataType: 'String', StringValue: notice.mobileUser },
        },
      }),
    );
  }
}
