// Runs every operation of ../operations with a real client (graphql-request) against a live
// `seg-graphql serve` (SEG_GRAPHQL_URL, SEG_API_KEY), through the generated typed documents.
// `tsc --strict` checks the calls and the result shapes; these tests check the values.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { before, describe, test } from "node:test";

import { GraphQLClient } from "graphql-request";

import {
  CheckMembershipDocument,
  CreateSegmentDocument,
  ImportJobProgressDocument,
  type ImportJobProgressQuery,
  ListSegmentsDocument,
  RunImportDocument,
  SegmentHistoryDocument,
  SetUserStatusDocument,
  UpsertUsersDocument,
} from "./gql/graphql.js";

const url = process.env.SEG_GRAPHQL_URL ?? "http://127.0.0.1:8000/graphql";
const key = process.env.SEG_API_KEY;
if (!key) throw new Error("set SEG_API_KEY to the server's key");

const client = new GraphQLClient(url, { headers: { Authorization: `Bearer ${key}` } });
// Each run names its data afresh, so runs against the same server do not collide.
const run = randomUUID().slice(0, 8);
const FINISHED = new Set(["SUCCEEDED", "PARTIAL", "FAILED"]);

describe("seg-graphql through a generated TypeScript client", () => {
  let vips = "";

  before(async () => {
    const { upsertUsers } = await client.request(UpsertUsersDocument, {
      users: [
        { userId: `gold-${run}`, email: `gold-${run}@example.com`, tier: "gold", points: 1500, customFields: { run } },
        { userId: `silver-${run}`, email: `silver-${run}@example.com`, tier: "silver", points: 200, customFields: { run } },
      ],
    });
    assert.deepEqual(upsertUsers?.userErrors, []);
    assert.deepEqual(upsertUsers?.users.map((u) => u?.id), [`gold-${run}`, `silver-${run}`]);
  });

  test("createSegment returns the segment with its rules", async () => {
    const { createSegment } = await client.request(CreateSegmentDocument, {
      input: {
        name: `Engaged VIPs ${run}`,
        technicalName: `vips_${run}`,
        rules: {
          include: [
            { field: "tier", operator: "IN", value: ["gold", "platinum"] },
            { field: "points", operator: "GTE", value: 1000 },
            { field: "customFields.run", operator: "EQUALS", value: run },
          ],
        },
      },
    });
    assert.deepEqual(createSegment?.userErrors, []);
    const segment = createSegment?.segment;
    assert.ok(segment);
    assert.equal(segment.type, "DYNAMIC");
    assert.equal(segment.rules.include.length, 3);
    assert.match(segment.createdAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    vips = segment.id;
  });

  test("a taken technicalName is a userErrors entry with a code", async () => {
    const { createSegment } = await client.request(CreateSegmentDocument, {
      input: { name: "again", technicalName: `vips_${run}`, matchAll: true },
    });
    assert.equal(createSegment?.segment, null);
    assert.deepEqual(createSegment?.userErrors.map((e) => [e.code, e.field]), [
      ["DUPLICATE", "input.technicalName"],
    ]);
  });

  test("segments lists userCount and members", async () => {
    const { segments } = await client.request(ListSegmentsDocument, {
      first: 10,
      filter: { name: `Engaged VIPs ${run}` },
    });
    assert.equal(segments.totalCount, 1);
    const [segment] = segments.nodes;
    assert.ok(segment);
    assert.equal(segment.userCount, 1);
    assert.deepEqual(segment.members.nodes, [{ id: `gold-${run}`, email: `gold-${run}@example.com` }]);
    assert.equal(segments.pageInfo.hasNextPage, false);
  });

  test("setUserStatus ADD puts a user in; an older change is not applied", async () => {
    const now = Math.floor(Date.now() / 1000);
    const input = {
      user: `silver-${run}@example.com`,
      segmentId: vips,
      userStatus: "ADD" as const,
      metadata: { referenceId: `ref-${run}`, statusChangeTimestamp: now - 60 },
    };
    const added = await client.request(SetUserStatusDocument, { input });
    assert.deepEqual(added.setUserStatus?.userErrors, []);
    assert.equal(added.setUserStatus?.applied, true);
    assert.deepEqual(added.setUserStatus?.membership, {
      isMember: true,
      state: "ADDED",
      source: "OVERRIDE",
      override: "ADD",
      statusChangeTimestamp: now - 60,
    });
    const stale = await client.request(SetUserStatusDocument, {
      input: { ...input, userStatus: "BLOCK", metadata: { statusChangeTimestamp: now - 3600 } },
    });
    assert.equal(stale.setUserStatus?.applied, false);
    assert.equal(stale.setUserStatus?.membership?.isMember, true);
  });

  test("the membership check answers every segment asked, in order", async () => {
    const { membership } = await client.request(CheckMembershipDocument, {
      user: `silver-${run}`,
      segmentIds: [vips],
    });
    assert.equal(membership.user.id, `silver-${run}`);
    assert.deepEqual(membership.memberships, [
      { segment: { id: vips }, isMember: true, state: "ADDED", source: "OVERRIDE" },
    ]);
  });

  test("the segment's history records the change with enum values", async () => {
    const { segment } = await client.request(SegmentHistoryDocument, { id: vips, first: 10 });
    const events = segment?.history.nodes ?? [];
    assert.equal(events.length, 1);
    assert.deepEqual(
      events.map((e) => [e.userId, e.action, e.source, e.after.override, e.referenceId]),
      [[`silver-${run}`, "OVERRIDE_SET", "API", "ADD", `ref-${run}`]],
    );
  });

  test("runImport returns a job at once; its progress reaches PARTIAL with the bad line", async () => {
    const { createSegment } = await client.request(CreateSegmentDocument, {
      input: { name: `Imported ${run}`, technicalName: `imported_${run}`, type: "STATIC" },
    });
    const list = createSegment?.segment?.id ?? "";
    assert.ok(list);
    const lines = [
      { operation: "UPDATE", user_agent_id: `ua-1-${run}`, segment_id: list, expiration_duration: 0 },
      { operation: "UPDATE", user_agent_id: `ua-2-${run}`, segment_technical_name: `imported_${run}`, expiration_duration: 60 },
      { operation: "UPDATE", user_agent_id: `ua-3-${run}`, segment_id: list },
    ];
    const { runImport } = await client.request(RunImportDocument, {
      input: {
        documentType: "USER_SEGMENT",
        format: "NDJSON",
        name: `import ${run}`,
        content: lines.map((line) => JSON.stringify(line)).join("\n"),
      },
    });
    assert.deepEqual(runImport.userErrors, []);
    assert.ok(runImport.job);
    const job = await waitFor(runImport.job.id);
    assert.equal(job.status, "PARTIAL");
    assert.deepEqual([job.total, job.applied, job.failed, job.progress], [3, 2, 1, 1]);
    assert.deepEqual(job.errors.map((e) => [e.line, e.code]), [[3, "BAD_USER_INPUT"]]);
    assert.ok(job.finishedAt);

    const { segments } = await client.request(ListSegmentsDocument, {
      first: 10,
      filter: { name: `Imported ${run}` },
    });
    assert.equal(segments.nodes[0]?.userCount, 2);
  });
});

async function waitFor(id: string): Promise<NonNullable<ImportJobProgressQuery["importJob"]>> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const { importJob } = await client.request(ImportJobProgressDocument, { id });
    assert.ok(importJob);
    if (FINISHED.has(importJob.status)) return importJob;
    await sleep(200);
  }
  throw new Error(`import job ${id} did not finish in 20 s`);
}
