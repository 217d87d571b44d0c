/** SES v1 and v2: identities, sandbox checks, sending (simple, raw, templated, bulk), templates, configuration sets, the mailbox and the SMTP relay — through SDK v3, the AWS CLI and boto3. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  CreateConfigurationSetCommand,
  CreateTemplateCommand,
  DeleteConfigurationSetCommand,
  DeleteIdentityCommand,
  DescribeConfigurationSetCommand,
  GetIdentityVerificationAttributesCommand,
  GetSendQuotaCommand,
  GetSendStatisticsCommand,
  GetTemplateCommand,
  ListConfigurationSetsCommand,
  ListIdentitiesCommand,
  ListTemplatesCommand,
  SendBulkTemplatedEmailCommand,
  SendEmailCommand,
  SendRawEmailCommand,
  SendTemplatedEmailCommand,
  SESClient,
  TestRenderTemplateCommand,
  UpdateTemplateCommand,
  VerifyDomainIdentityCommand,
  VerifyEmailIdentityCommand,
  DeleteTemplateCommand,
} from "@aws-sdk/client-ses";
import {
  CreateEmailIdentityCommand,
  CreateEmailTemplateCommand,
  DeleteEmailIdentityCommand,
  GetAccountCommand,
  GetEmailIdentityCommand,
  GetEmailTemplateCommand,
  ListEmailIdentitiesCommand,
  PutAccountDetailsCommand,
  SendEmailCommand as SendEmailV2Command,
  SESv2Client,
  CreateConfigurationSetCommand as CreateConfigurationSetV2Command,
  GetConfigurationSetCommand,
} from "@aws-sdk/client-sesv2";
import { SMTPServer } from "smtp-server";
import type { Nimbus } from "../src/index.js";
import { awsCli, boto3, sdkConfig, startTestNimbus } from "./helpers.js";

let n: Nimbus;
let ses: SESClient;
let v2: SESv2Client;

interface Mail {
  id: string;
  from: string;
  to: string[];
  cc: string[];
  bcc: string[];
  subject: string;
  text?: string;
  html?: string;
  raw: string;
  region: string;
  account: string;
  source: string;
}

async function mailbox(recipient?: string): Promise<Mail[]> {
  const r = await fetch(`${n.endpoint}/_nimbus/ses/messages${recipient ? `?recipient=${encodeURIComponent(recipient)}` : ""}`);
  expect(r.status).toBe(200);
  return (await r.json()) as Mail[];
}

beforeAll(async () => {
  n = await startTestNimbus();
  ses = new SESClient(sdkConfig(n));
  v2 = new SESv2Client(sdkConfig(n));
});
afterAll(async () => {
  await n.stop();
});

describe("identities", () => {
  it("verifies addresses and domains at once, lists and deletes them", async () => {
    await ses.send(new VerifyEmailIdentityCommand({ EmailAddress: "sender@example.com" }));
    const d = await ses.send(new VerifyDomainIdentityCommand({ Domain: "Example.org" }));
    expect(d.VerificationToken).toMatch(/^[A-Za-z0-9+/=]{44}$/);
    const attrs = await ses.send(new GetIdentityVerificationAttributesCommand({ Identities: ["sender@example.com", "example.org", "nobody@x.com"] }));
    expect(attrs.VerificationAttributes).toEqual({
      "sender@example.com": { VerificationStatus: "Success" },
      "example.org": { VerificationStatus: "Success", VerificationToken: d.VerificationToken },
    });
    expect((await ses.send(new ListIdentitiesCommand({ IdentityType: "Domain" }))).Identities).toEqual(["example.org"]);
    const page1 = await ses.send(new ListIdentitiesCommand({ MaxItems: 1 }));
    expect(page1.Identities).toHaveLength(1);
    const page2 = await ses.send(new ListIdentitiesCommand({ MaxItems: 1, NextToken: page1.NextToken }));
    expect(page2.Identities).toHaveLength(1);
    expect(page2.NextToken).toBeUndefined();
    await expect(ses.send(new VerifyEmailIdentityCommand({ EmailAddress: "not-an-address" }))).rejects.toMatchObject({ name: "InvalidParameterValue" });
    // v2 sees v1's identities (one store)
    const got = await v2.send(new GetEmailIdentityCommand({ EmailIdentity: "example.org" }));
    expect(got).toMatchObject({ IdentityType: "DOMAIN", VerifiedForSendingStatus: true, VerificationStatus: "SUCCESS" });
    expect(got.DkimAttributes?.Tokens).toHaveLength(3);
    await v2.send(new CreateEmailIdentityCommand({ EmailIdentity: "temp@example.net", Tags: [{ Key: "k", Value: "v" }] }));
    await expect(v2.send(new CreateEmailIdentityCommand({ EmailIdentity: "temp@example.net" }))).rejects.toMatchObject({ name: "AlreadyExistsException" });
    const listed = await v2.send(new ListEmailIdentitiesCommand({}));
    expect(listed.EmailIdentities?.map((i) => i.IdentityName)).toContain("temp@example.net");
    await v2.send(new DeleteEmailIdentityCommand({ EmailIdentity: "temp@example.net" }));
    await expect(v2.send(new GetEmailIdentityCommand({ EmailIdentity: "temp@example.net" }))).rejects.toMatchObject({ name: "NotFoundException", $metadata: { httpStatusCode: 404 } });
    await ses.send(new VerifyEmailIdentityCommand({ EmailAddress: "gone@example.com" }));
    await ses.send(new DeleteIdentityCommand({ Identity: "gone@example.com" }));
    expect((await ses.send(new ListIdentitiesCommand({}))).Identities).not.toContain("gone@example.com");
  });
});

describe("sending", () => {
  it("rejects unverified senders and, in the sandbox, unverified recipients", async () => {
    await expect(
      ses.send(new SendEmailCommand({ Source: "stranger@nowhere.com", Destination: { ToAddresses: ["sender@example.com"] }, Message: { Subject: { Data: "s" }, Body: { Text: { Data: "b" } } } })),
    ).rejects.toMatchObject({
      name: "MessageRejected",
      message: "Email address is not verified. The following identities failed the check in region US-EAST-1: stranger@nowhere.com",
      $metadata: { httpStatusCode: 400 },
    });
    await expect(
      ses.send(new SendEmailCommand({ Source: "sender@example.com", Destination: { ToAddresses: ["user@elsewhere.com"] }, Message: { Subject: { Data: "s" }, Body: { Text: { Data: "b" } } } })),
    ).rejects.toMatchObject({ name: "MessageRejected", message: expect.stringContaining("user@elsewhere.com") });
    await expect(
      ses.send(new SendEmailCommand({ Source: "sender@example.com", Destination: { ToAddresses: ["not-an-address"] }, Message: { Subject: { Data: "s" }, Body: { Text: { Data: "b" } } } })),
    ).rejects.toMatchObject({ name: "InvalidParameterValue", message: "Missing final '@domain'" });
    expect(await mailbox()).toEqual([]);
    // a domain identity verifies every address in it
    const ok = await ses.send(
      new SendEmailCommand({ Source: "Team <noreply@example.org>", Destination: { ToAddresses: ["sender@example.com"] }, Message: { Subject: { Data: "s" }, Body: { Text: { Data: "b" } } } }),
    );
    expect(ok.MessageId).toMatch(/^[0-9a-f]{16}-[0-9a-f-]{36}-000000$/);
  });

  it("stores every sent message in the mailbox, filterable by recipient", async () => {
    await ses.send(new VerifyEmailIdentityCommand({ EmailAddress: "alice@example.com" }));
    await ses.send(new VerifyEmailIdentityCommand({ EmailAddress: "bob@example.com" }));
    await ses.send(
      new SendEmailCommand({
        Source: "sender@example.com",
        Destination: { ToAddresses: ["alice@example.com"], CcAddresses: ["bob@example.com"], BccAddresses: ["sender@example.com"] },
        Message: { Subject: { Data: "Hello Alice" }, Body: { Text: { Data: "plain body" }, Html: { Data: "<p>html body</p>" } } },
      }),
    );
    const forBob = await mailbox("bob@example.com");
    expect(forBob).toHaveLength(1);
    expect(forBob[0]).toMatchObject({
      from: "sender@example.com",
      to: ["alice@example.com"],
      cc: ["bob@example.com"],
      bcc: ["sender@example.com"],
      subject: "Hello Alice",
      text: "plain body",
      html: "<p>html body</p>",
      region: "us-east-1",
      account: "000000000000",
    });
    expect(forBob[0]!.raw).toContain("Subject: Hello Alice");
    expect(forBob[0]!.raw).not.toContain("Bcc:");
    const q = await ses.send(new GetSendQuotaCommand({}));
    expect(q).toMatchObject({ Max24HourSend: 200, MaxSendRate: 1 });
    expect(q.SentLast24Hours).toBeGreaterThanOrEqual(3);
    const stats = await ses.send(new GetSendStatisticsCommand({}));
    expect(stats.SendDataPoints!.reduce((s, p) => s + (p.DeliveryAttempts ?? 0), 0)).toBeGreaterThanOrEqual(3);
  });

  it("parses raw MIME messages", async () => {
    const raw = [
      "From: Sender <sender@example.com>",
      "To: alice@example.com",
      "Subject: Raw hello",
      "MIME-Version: 1.0",
      'Content-Type: multipart/alternative; boundary="b1"',
      "",
      "--b1",
      "Content-Type: text/plain; charset=utf-8",
      "",
      "raw text part",
      "--b1",
      "Content-Type: text/html; charset=utf-8",
      "",
      "<b>raw html</b>",
      "--b1--",
      "",
    ].join("\r\n");
    const r = await ses.send(new SendRawEmailCommand({ RawMessage: { Data: Buffer.from(raw) } }));
    expect(r.MessageId).toBeTruthy();
    const m = (await mailbox("alice@example.com")).find((x) => x.subject === "Raw hello")!;
    expect(m.text?.trim()).toBe("raw text part");
    expect(m.html?.trim()).toBe("<b>raw html</b>");
    expect(m.raw).toBe(raw);
  });

  it("renders templates, sends templated and bulk messages", async () => {
    await ses.send(new CreateTemplateCommand({ Template: { TemplateName: "welcome", SubjectPart: "Hi {{name}}", TextPart: "Dear {{name}}, you have {{count}} items", HtmlPart: "<h1>{{name}}</h1>" } }));
    await expect(ses.send(new CreateTemplateCommand({ Template: { TemplateName: "welcome", SubjectPart: "x" } }))).rejects.toMatchObject({ name: "AlreadyExistsException" });
    await expect(ses.send(new GetTemplateCommand({ TemplateName: "nope" }))).rejects.toMatchObject({ name: "TemplateDoesNotExistException" });
    const rendered = await ses.send(new TestRenderTemplateCommand({ TemplateName: "welcome", TemplateData: JSON.stringify({ name: "Ann <x>", count: 3 }) }));
    expect(rendered.RenderedTemplate).toContain("Subject: Hi Ann <x>");
    expect(rendered.RenderedTemplate).toContain("Dear Ann <x>, you have 3 items");
    expect(rendered.RenderedTemplate).toContain("Ann &lt;x&gt;");
    await expect(ses.send(new TestRenderTemplateCommand({ TemplateName: "welcome", TemplateData: JSON.stringify({ count: 1 }) }))).rejects.toMatchObject({
      name: "MissingRenderingAttributeException",
    });
    await expect(ses.send(new TestRenderTemplateCommand({ TemplateName: "welcome", TemplateData: "not json" }))).rejects.toMatchObject({ name: "InvalidRenderingParameterException" });
    await ses.send(new UpdateTemplateCommand({ Template: { TemplateName: "welcome", SubjectPart: "Welcome {{name}}", TextPart: "Dear {{name}}" } }));
    expect((await ses.send(new GetTemplateCommand({ TemplateName: "welcome" }))).Template).toEqual({ TemplateName: "welcome", SubjectPart: "Welcome {{name}}", TextPart: "Dear {{name}}" });
    expect((await ses.send(new ListTemplatesCommand({}))).TemplatesMetadata?.map((x) => x.Name)).toEqual(["welcome"]);
    await ses.send(new SendTemplatedEmailCommand({ Source: "sender@example.com", Destination: { ToAddresses: ["bob@example.com"] }, Template: "welcome", TemplateData: '{"name":"Bob"}' }));
    expect((await mailbox("bob@example.com")).map((m) => [m.subject, m.text])).toContainEqual(["Welcome Bob", "Dear Bob"]);
    const bulk = await ses.send(
      new SendBulkTemplatedEmailCommand({
        Source: "sender@example.com",
        Template: "welcome",
        DefaultTemplateData: '{"name":"friend"}',
        Destinations: [
          { Destination: { ToAddresses: ["alice@example.com"] }, ReplacementTemplateData: '{"name":"Alice"}' },
          { Destination: { ToAddresses: ["bob@example.com"] } },
          { Destination: { ToAddresses: ["stranger@nowhere.com"] } },
        ],
      }),
    );
    expect(bulk.Status?.map((s) => s.Status)).toEqual(["Success", "Success", "MessageRejected"]);
    expect((await mailbox("alice@example.com")).map((m) => m.subject)).toContain("Welcome Alice");
    expect((await mailbox("bob@example.com")).map((m) => m.subject)).toContain("Welcome friend");
    await ses.send(new DeleteTemplateCommand({ TemplateName: "welcome" }));
    expect((await ses.send(new ListTemplatesCommand({}))).TemplatesMetadata).toEqual([]);
  });

  it("configuration sets gate sending", async () => {
    await ses.send(new CreateConfigurationSetCommand({ ConfigurationSet: { Name: "tracking" } }));
    await expect(ses.send(new CreateConfigurationSetCommand({ ConfigurationSet: { Name: "tracking" } }))).rejects.toMatchObject({ name: "ConfigurationSetAlreadyExistsException" });
    expect((await ses.send(new DescribeConfigurationSetCommand({ ConfigurationSetName: "tracking" }))).ConfigurationSet).toEqual({ Name: "tracking" });
    expect((await ses.send(new ListConfigurationSetsCommand({}))).ConfigurationSets).toEqual([{ Name: "tracking" }]);
    await expect(
      ses.send(
        new SendEmailCommand({
          Source: "sender@example.com",
          Destination: { ToAddresses: ["alice@example.com"] },
          Message: { Subject: { Data: "s" }, Body: { Text: { Data: "b" } } },
          ConfigurationSetName: "missing",
        }),
      ),
    ).rejects.toMatchObject({ name: "ConfigurationSetDoesNotExistException" });
    expect((await v2.send(new GetConfigurationSetCommand({ ConfigurationSetName: "tracking" }))).ConfigurationSetName).toBe("tracking");
    await v2.send(new CreateConfigurationSetV2Command({ ConfigurationSetName: "v2set", Tags: [{ Key: "a", Value: "b" }] }));
    expect((await ses.send(new ListConfigurationSetsCommand({}))).ConfigurationSets?.map((c) => c.Name)).toEqual(["tracking", "v2set"]);
    await ses.send(new DeleteConfigurationSetCommand({ ConfigurationSetName: "v2set" }));
  });

  it("v2 sends simple, raw and template content, and leaves the sandbox on request", async () => {
    const a = await v2.send(new GetAccountCommand({}));
    expect(a).toMatchObject({ ProductionAccessEnabled: false, SendingEnabled: true, SendQuota: { Max24HourSend: 200 } });
    await v2.send(
      new SendEmailV2Command({
        FromEmailAddress: "sender@example.com",
        Destination: { ToAddresses: ["alice@example.com"] },
        Content: { Simple: { Subject: { Data: "v2 simple" }, Body: { Text: { Data: "v2 body" } } } },
      }),
    );
    await v2.send(new CreateEmailTemplateCommand({ TemplateName: "v2tpl", TemplateContent: { Subject: "Order {{id}}", Text: "Order {{id}} shipped" } }));
    expect((await v2.send(new GetEmailTemplateCommand({ TemplateName: "v2tpl" }))).TemplateContent).toEqual({ Subject: "Order {{id}}", Text: "Order {{id}} shipped" });
    await v2.send(
      new SendEmailV2Command({
        FromEmailAddress: "sender@example.com",
        Destination: { ToAddresses: ["alice@example.com"] },
        Content: { Template: { TemplateName: "v2tpl", TemplateData: '{"id":"42"}' } },
      }),
    );
    await v2.send(
      new SendEmailV2Command({
        Content: { Raw: { Data: Buffer.from("From: sender@example.com\r\nTo: alice@example.com\r\nSubject: v2 raw\r\n\r\nraw!\r\n") } },
      }),
    );
    const subjects = (await mailbox("alice@example.com")).map((m) => m.subject);
    expect(subjects).toEqual(expect.arrayContaining(["v2 simple", "Order 42", "v2 raw"]));
    await expect(
      v2.send(new SendEmailV2Command({ FromEmailAddress: "sender@example.com", Destination: { ToAddresses: ["x@unverified.com"] }, Content: { Simple: { Subject: { Data: "s" }, Body: { Text: { Data: "b" } } } } })),
    ).rejects.toMatchObject({ name: "MessageRejected", $metadata: { httpStatusCode: 400 } });
    await v2.send(new PutAccountDetailsCommand({ MailType: "TRANSACTIONAL", WebsiteURL: "https://example.com", UseCaseDescription: "tests", ProductionAccessEnabled: true }));
    expect((await v2.send(new GetAccountCommand({}))).ProductionAccessEnabled).toBe(true);
    await v2.send(
      new SendEmailV2Command({ FromEmailAddress: "sender@example.com", Destination: { ToAddresses: ["x@unverified.com"] }, Content: { Simple: { Subject: { Data: "out of sandbox" }, Body: { Text: { Data: "b" } } } } }),
    );
    expect((await mailbox("x@unverified.com")).map((m) => m.subject)).toEqual(["out of sandbox"]);
  });

  it("empties the mailbox", async () => {
    const r = await fetch(`${n.endpoint}/_nimbus/ses/messages`, { method: "DELETE" });
    expect(r.status).toBe(200);
    expect(await mailbox()).toEqual([]);
  });
});

describe("SMTP relay", () => {
  it("relays sent messages to NIMBUS_SMTP_URL", async () => {
    const received: { from: string; to: string[]; data: string }[] = [];
    const server = new SMTPServer({
      authOptional: true,
      disabledCommands: ["STARTTLS"],
      onData(stream, session, cb) {
        const chunks: Buffer[] = [];
        stream.on("data", (c: Buffer) => chunks.push(c));
        stream.on("end", () => {
          received.push({
            from: session.envelope.mailFrom ? session.envelope.mailFrom.address : "",
            to: session.envelope.rcptTo.map((r) => r.address),
            data: Buffer.concat(chunks).toString("utf8"),
          });
          cb();
        });
      },
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const port = (server.server.address() as { port: number }).port;
    process.env.NIMBUS_SMTP_URL = `smtp://127.0.0.1:${port}`;
    try {
      await ses.send(
        new SendEmailCommand({ Source: "sender@example.com", Destination: { ToAddresses: ["alice@example.com"], BccAddresses: ["bob@example.com"] }, Message: { Subject: { Data: "relayed" }, Body: { Text: { Data: "via smtp" } } } }),
      );
      expect(received).toHaveLength(1);
      expect(received[0]!.from).toBe("sender@example.com");
      expect(received[0]!.to).toEqual(["alice@example.com", "bob@example.com"]);
      expect(received[0]!.data).toContain("Subject: relayed");
    } finally {
      delete process.env.NIMBUS_SMTP_URL;
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});

describe("other clients", () => {
  it("AWS CLI verifies and sends; boto3 sends with SES v2 and reads quota", async () => {
    const v = await awsCli(n, ["ses", "verify-email-identity", "--email-address", "cli@example.com"]);
    expect(v.code, v.stderr).toBe(0);
    const s = await awsCli(n, ["ses", "send-email", "--from", "cli@example.com", "--to", "alice@example.com", "--subject", "from cli", "--text", "cli body"]);
    expect(s.code, s.stderr).toBe(0);
    expect(JSON.parse(s.stdout).MessageId).toBeTruthy();
    const bad = await awsCli(n, ["ses", "send-email", "--from", "nobody@nowhere.com", "--to", "alice@example.com", "--subject", "x", "--text", "y"]);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain("MessageRejected");
    const b = await boto3(
      n,
      [
        "c = client('sesv2')",
        "c.send_email(FromEmailAddress='cli@example.com', Destination={'ToAddresses': ['alice@example.com']}, Content={'Simple': {'Subject': {'Data': 'from boto3'}, 'Body': {'Text': {'Data': 'b'}}}})",
        "q = client('ses').get_send_quota()",
        "print(json.dumps({'max': q['Max24HourSend'], 'ids': client('ses').list_identities()['Identities']}))",
      ].join("\n"),
    );
    expect(b.code, b.stderr).toBe(0);
    expect(JSON.parse(b.stdout).ids).toContain("cli@example.com");
    expect((await mailbox("alice@example.com")).map((m) => m.subject)).toEqual(expect.arrayContaining(["from cli", "from boto3"]));
  });
});
