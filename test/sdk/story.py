"""The reconnect story through the Python SDK, against a live server (test/sdk/story.test.ts).

What only a person or the platform can do (consenting, revoking the grant upstream) and what only
the partner's webhook endpoint sees (the signed delivery) is asked of the Node side: one JSON line
out, one JSON line back. The last line out is everything the script observed, for the test to check.
"""

import datetime
import json
import os
import sys
import time

from layers_social import Layers, LayersError

layers = Layers(api_key=os.environ["LAYERS_API_KEY"], base_url=os.environ["LAYERS_BASE_URL"])
RETURN_URL = "http://localhost:3000/connected"
USERNAME = os.environ["CREATOR"]
seen = {}


def ask(need, **fields):
    print(json.dumps({"need": need, **fields}), flush=True)
    return json.loads(sys.stdin.readline())


def error_of(call):
    try:
        call()
    except LayersError as error:
        return {"status": error.status, "code": error.code, "requestId": error.request_id, "details": error.details}
    return None


seen["whoami"] = layers.whoami()
project = layers.projects.create(name="Story Python", timezone="Europe/Paris", customer_external_id="story-py")
seen["projectId"] = project["id"]
seen["searched"] = [p["id"] for p in layers.projects.list(search="STORY PY")["items"]]

endpoint = layers.webhooks.endpoints.create(
    url=os.environ["WEBHOOK_URL"], events=["social_account.connected", "social_account.needs_reauth"], project_id=project["id"]
)
secret = endpoint["signingSecret"]

# Connect: a consent URL, the person consents, the flow completes.
minted = layers.social.create_oauth_url(project_id=project["id"], platform="tiktok", return_url=RETURN_URL)
seen["connectLanding"] = ask("consent", authorizeUrl=minted["authorizeUrl"], username=USERNAME)["location"]
connected = layers.social.wait_for_oauth(minted["state"], timeout_ms=15_000, interval_ms=100)
account_id = connected["socialAccountId"]
seen["connect"] = {"status": connected["status"], "kind": connected["kind"], "socialAccountId": account_id}
seen["listed"] = [[a["socialAccountId"], a["status"]] for a in layers.social.accounts.list(project_id=project["id"])]

# The grant dies upstream; a live health check finds it.
ask("revoke_upstream", platform="tiktok", username=USERNAME)
health = layers.social.get_health(social_account_id=account_id, check="live")
seen["health"] = {"status": health["status"], "needsReauth": health["needsReauth"], "reauthReason": health["reauthReason"]}
seen["needsReauthListed"] = [a["socialAccountId"] for a in layers.social.list_accounts(project_id=project["id"], status="reauth_required")["items"]]

# The needs_reauth webhook, checked with the SDK's verifier (and a tampered copy refused).
delivery = ask("webhook", type="social_account.needs_reauth", socialAccountId=account_id)
raw = delivery["rawBody"].encode("utf-8")
seen["webhook"] = {
    "verified": layers.webhooks.verify_signature(raw, delivery["signature"], secret),
    "tampered": layers.webhooks.verify_signature(raw.replace(b"token_revoked", b"scopes_missing"), delivery["signature"], secret),
    "event": json.loads(raw),
}

# Reauth: the same socialAccountId comes back connected.
again = layers.social.create_reauth_url(project_id=project["id"], social_account_id=account_id, return_url=RETURN_URL)
seen["reauthLanding"] = ask("consent", authorizeUrl=again["authorizeUrl"], username=USERNAME)["location"]
reauthed = layers.social.wait_for_oauth(again["state"], timeout_ms=15_000, interval_ms=100)
seen["reauth"] = {"status": reauthed["status"], "kind": reauthed["kind"], "socialAccountId": reauthed["socialAccountId"]}
seen["healthAfter"] = layers.social.get_health(social_account_id=account_id)["status"]

# Upload a video, schedule it a moment ahead, wait until it is published.
[container] = layers.content.upload(project_id=project["id"], files=[os.environ["VIDEO"]], caption="Story time (Python)")
seen["uploaded"] = container
soon = (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=1)).isoformat()
scheduled = layers.publishing.schedule(
    container_id=container["id"], scheduled_for=soon, targets=[{"socialAccountId": account_id, "mode": "publish"}]
)
post_id = scheduled["scheduledPostIds"][0]
deadline = time.time() + 60
post = layers.publishing.get_scheduled_post(scheduled_post_id=post_id)
while post["status"] not in ("published", "failed", "canceled") and time.time() < deadline:
    time.sleep(0.2)
    post = layers.publishing.get_scheduled_post(scheduled_post_id=post_id)
seen["published"] = post
seen["listedPublished"] = [p["id"] for p in layers.publishing.list_scheduled_posts(project_id=project["id"], status=["published"])["items"]]

# Errors surface as LayersError with the server's code.
seen["errors"] = {
    "returnUrlNotAllowed": error_of(
        lambda: layers.social.create_reauth_url(project_id=project["id"], social_account_id=account_id, return_url="https://evil.example/x")
    ),
    "unknownState": error_of(lambda: layers.social.get_oauth_status(state="st_01HXZB4P9K2M3N4P5QRS6TVW7X")),
    "validation": error_of(lambda: layers.projects.create(name="x", timezone="UTC")),
}
seen["errors"]["cancelPublished"] = error_of(lambda: layers.publishing.cancel(scheduled_post_id=post_id))
seen["revoked"] = layers.social.revoke(social_account_id=account_id)
seen["errors"]["reauthAfterRevoke"] = error_of(
    lambda: layers.social.create_reauth_url(project_id=project["id"], social_account_id=account_id, return_url=RETURN_URL)
)

print(json.dumps({"done": seen}), flush=True)
