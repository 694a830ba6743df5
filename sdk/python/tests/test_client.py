from __future__ import annotations

import hashlib
import hmac
import re
import unittest
import urllib.parse

from layers_social import ConnectionFailure, LayersError, verify_webhook_signature

from .fakes import Scripted, answer, api_error, network_failure

UUID_V4 = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
PROJECT = "prj_254a4ce1-f4ca-42b1-9e36-17ca45ef3d39"
ACCOUNT = "sa_9c1e42a0-b7f3-4e5d-a2c1-8b4f5e6c7d8e"


class Requests(unittest.TestCase):
    def test_key_json_path_and_snake_case_fields_become_camel_case(self) -> None:
        s = Scripted([answer(200, {"authorizeUrl": "https://x", "state": "st_1", "expiresAt": "z"})], organization="org_1")
        result = s.layers.social.create_reauth_url(project_id=PROJECT, social_account_id=ACCOUNT, return_url="https://app.example.com/r")
        self.assertEqual(result["authorizeUrl"], "https://x")
        sent = s.sent[0]
        self.assertEqual(sent["method"], "POST")
        self.assertEqual(sent["url"], f"https://api.example.test/v1/projects/{PROJECT}/social/reauth-url")
        self.assertEqual(sent["headers"]["Authorization"], "Bearer lp_test_ABCDEFGHIJKLMNOP_secret")
        self.assertEqual(sent["headers"]["Content-Type"], "application/json")
        self.assertEqual(sent["headers"]["X-Layers-Organization"], "org_1")
        self.assertEqual(sent["body"], {"socialAccountId": ACCOUNT, "returnUrl": "https://app.example.com/r"})

    def test_nested_objects_and_none_are_sent_as_given(self) -> None:
        s = Scripted([answer(200, {})])
        s.layers.projects.update(project_id=PROJECT, tagline=None, metadata={"crm_id": 42, "nested": {"keepCase": True}})
        self.assertEqual(s.sent[0]["method"], "PATCH")
        self.assertEqual(s.sent[0]["body"], {"tagline": None, "metadata": {"crm_id": 42, "nested": {"keepCase": True}}})

    def test_query_booleans_lists_and_none(self) -> None:
        s = Scripted([answer(200, {"items": [], "nextCursor": None}), answer(200, {})])
        s.layers.social.list_accounts(project_id="prj a/b", leased=False, status="reauth_required", platform=None)
        s.layers.social.get_health(social_account_id=ACCOUNT, check="live")
        url = urllib.parse.urlsplit(s.sent[0]["url"])
        self.assertEqual(url.path, "/v1/projects/prj%20a%2Fb/social-accounts")
        self.assertEqual(urllib.parse.parse_qsl(url.query), [("leased", "false"), ("status", "reauth_required")])
        self.assertTrue(s.sent[1]["url"].endswith("/health?check=live"))
        self.assertIsNone(s.sent[1]["body"])

    def test_idempotency_keys(self) -> None:
        s = Scripted([answer(201, {}), answer(200, {}), answer(200, {}), answer(200, {}), answer(201, {}), answer(200, {})])
        s.layers.projects.create(name="Acme", timezone="UTC")
        s.layers.social.create_oauth_url(project_id=PROJECT, platform="tiktok", return_url="https://app.example.com/r")
        s.layers.social.revoke(social_account_id=ACCOUNT)
        s.layers.projects.get(project_id=PROJECT)
        s.layers.projects.create(name="Acme", timezone="UTC", idempotency_key="signup-42")
        s.layers.social.create_reauth_url(project_id=PROJECT, social_account_id=ACCOUNT, return_url="https://a.example/", idempotency_key="mine")
        keys = [sent["headers"].get("Idempotency-Key") for sent in s.sent]
        self.assertRegex(keys[0], UUID_V4)
        self.assertIsNone(keys[1])
        self.assertRegex(keys[2], UUID_V4)
        self.assertNotEqual(keys[0], keys[2])
        self.assertIsNone(keys[3])
        self.assertEqual(keys[4], "signup-42")
        self.assertEqual(keys[5], "mine")
        self.assertNotIn("idempotencyKey", s.sent[4]["body"])


class Errors(unittest.TestCase):
    def test_layers_error_carries_the_envelope(self) -> None:
        s = Scripted([api_error(403, "RETURN_URL_NOT_ALLOWED", {"x-ratelimit-remaining": "7"}, {"host": "evil.example"})])
        with self.assertRaises(LayersError) as caught:
            s.layers.social.create_oauth_url(project_id=PROJECT, platform="tiktok", return_url="https://evil.example/")
        error = caught.exception
        self.assertEqual((error.status, error.code, error.message), (403, "RETURN_URL_NOT_ALLOWED", "RETURN_URL_NOT_ALLOWED happened"))
        self.assertTrue(error.request_id.startswith("req_"))
        self.assertEqual(error.details, {"host": "evil.example"})
        self.assertEqual(error.headers["x-ratelimit-remaining"], "7")
        self.assertIsNone(error.retry_after_seconds)

    def test_a_body_that_is_not_the_envelope(self) -> None:
        from layers_social import Response

        s = Scripted([Response(404, {"content-type": "text/html"}, b"<html>Bad gateway</html>")])
        with self.assertRaises(LayersError) as caught:
            s.layers.whoami()
        self.assertEqual((caught.exception.status, caught.exception.code), (404, "UNEXPECTED_RESPONSE"))
        success = Scripted([Response(200, {"content-type": "text/html"}, b"<html>Welcome</html>")])
        with self.assertRaises(LayersError) as caught:
            success.layers.whoami()
        self.assertEqual((caught.exception.status, caught.exception.code), (200, "UNEXPECTED_RESPONSE"))


class Retries(unittest.TestCase):
    def test_get_backoff_and_max_three_retries(self) -> None:
        s = Scripted([api_error(500, "INTERNAL"), api_error(502, "PLATFORM_ERROR"), api_error(500, "INTERNAL"), api_error(500, "INTERNAL")])
        with self.assertRaises(LayersError) as caught:
            s.layers.whoami()
        self.assertEqual(caught.exception.code, "INTERNAL")
        self.assertEqual(len(s.sent), 4)
        self.assertEqual(s.sleeps, [0.25, 0.5, 1.0])
        high = Scripted([api_error(500, "INTERNAL"), answer(200, {"organizationId": "org_1"})], random=lambda: 0.999999)
        self.assertEqual(high.layers.whoami()["organizationId"], "org_1")
        self.assertAlmostEqual(high.sleeps[0], 0.5, places=3)

    def test_backoff_cap(self) -> None:
        s = Scripted([api_error(503, "INTERNAL") for _ in range(10)], max_retries=9, random=lambda: 0.999999)
        with self.assertRaises(LayersError):
            s.layers.whoami()
        self.assertEqual([round(x, 2) for x in s.sleeps], [0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 30.0, 30.0, 30.0])

    def test_mutation_retried_with_one_key(self) -> None:
        s = Scripted([api_error(500, "INTERNAL"), network_failure(), answer(201, {"id": PROJECT})])
        self.assertEqual(s.layers.projects.create(name="Acme", timezone="UTC")["id"], PROJECT)
        keys = {sent["headers"]["Idempotency-Key"] for sent in s.sent}
        self.assertEqual(len(s.sent), 3)
        self.assertEqual(len(keys), 1)

    def test_url_minting_not_repeated_after_5xx_or_network(self) -> None:
        s = Scripted([api_error(500, "INTERNAL")])
        with self.assertRaises(LayersError):
            s.layers.social.create_reauth_url(project_id=PROJECT, social_account_id=ACCOUNT, return_url="https://a.example/")
        self.assertEqual(len(s.sent), 1)
        lost = Scripted([network_failure()])
        with self.assertRaises(LayersError) as caught:
            lost.layers.social.create_oauth_url(project_id=PROJECT, platform="tiktok", return_url="https://a.example/")
        self.assertEqual((caught.exception.status, caught.exception.code), (0, "NETWORK_ERROR"))
        self.assertIsInstance(caught.exception.__cause__, ConnectionFailure)
        self.assertEqual(len(lost.sent), 1)

    def test_429_waits_retry_after(self) -> None:
        s = Scripted([api_error(429, "RATE_LIMITED", {"retry-after": "2"}), answer(200, {"state": "st_1"})])
        s.layers.social.create_reauth_url(project_id=PROJECT, social_account_id=ACCOUNT, return_url="https://a.example/")
        self.assertEqual(len(s.sent), 2)
        self.assertEqual(s.sleeps, [2.0])

    def test_429_over_30_seconds_is_reported(self) -> None:
        s = Scripted([api_error(429, "RATE_LIMITED", {"retry-after": "45"})])
        with self.assertRaises(LayersError) as caught:
            s.layers.whoami()
        self.assertEqual((caught.exception.status, caught.exception.retry_after_seconds), (429, 45))
        self.assertEqual((len(s.sent), s.sleeps), (1, []))

    def test_kill_switch_and_4xx_not_retried(self) -> None:
        killed = Scripted([api_error(503, "KILL_SWITCH", details={"scope": "key"})])
        with self.assertRaises(LayersError) as caught:
            killed.layers.whoami()
        self.assertEqual(caught.exception.code, "KILL_SWITCH")
        self.assertEqual(len(killed.sent), 1)
        missing = Scripted([api_error(404, "NOT_FOUND")])
        with self.assertRaises(LayersError):
            missing.layers.projects.get(project_id=PROJECT)
        self.assertEqual(len(missing.sent), 1)

    def test_network_errors_on_get_and_max_retries_zero(self) -> None:
        s = Scripted([network_failure() for _ in range(4)])
        with self.assertRaises(LayersError) as caught:
            s.layers.whoami()
        self.assertEqual((caught.exception.code, len(s.sent)), ("NETWORK_ERROR", 4))
        timeout = Scripted([ConnectionFailure("slow", timed_out=True)], max_retries=0)
        with self.assertRaises(LayersError) as caught:
            timeout.layers.whoami()
        self.assertEqual((caught.exception.status, caught.exception.code, len(timeout.sent)), (0, "TIMEOUT", 1))


class PaginationAndPolling(unittest.TestCase):
    @staticmethod
    def page(ids, cursor):
        return answer(200, {"items": [{"socialAccountId": i} for i in ids], "nextCursor": cursor})

    def test_one_page_then_every_page(self) -> None:
        s = Scripted([self.page(["a", "b"], "c1"), self.page(["a", "b"], "c1"), self.page(["c"], "c2"), self.page(["d"], None)])
        first = s.layers.social.list_accounts(project_id=PROJECT, limit=2)
        self.assertEqual([a["socialAccountId"] for a in first["items"]], ["a", "b"])
        self.assertEqual(first["nextCursor"], "c1")
        everything = [a["socialAccountId"] for a in s.layers.social.accounts.list(project_id=PROJECT, limit=2)]
        self.assertEqual(everything, ["a", "b", "c", "d"])
        cursors = [urllib.parse.parse_qs(urllib.parse.urlsplit(sent["url"]).query).get("cursor") for sent in s.sent]
        self.assertEqual(cursors, [None, None, ["c1"], ["c2"]])

    def test_wait_for_oauth(self) -> None:
        status = lambda value: answer(200, {"state": "st_X", "status": value})  # noqa: E731
        s = Scripted([status("pending"), status("pending"), status("completed")])
        self.assertEqual(s.layers.social.wait_for_oauth("st_X", interval_ms=1500)["status"], "completed")
        self.assertEqual(s.sleeps, [1.5, 1.5])

    def test_wait_for_oauth_timeout(self) -> None:
        s = Scripted([answer(200, {"state": "st_X", "status": "pending"}) for _ in range(20)])
        with self.assertRaises(LayersError) as caught:
            s.layers.social.wait_for_oauth("st_X", timeout_ms=5000, interval_ms=2000)
        self.assertEqual(caught.exception.code, "TIMEOUT")
        self.assertEqual(caught.exception.details, {"state": "st_X", "status": "pending"})
        self.assertEqual(len(s.sent), 4)


class Signatures(unittest.TestCase):
    secret = "whsec_test_secret_value"
    body = b'{"id":"evt_1","type":"social_account.needs_reauth","data":{"reauthReason":"token_revoked"}}'
    t = 1_700_000_000

    def header(self, *secrets: str) -> str:
        sigs = [hmac.new(s.encode(), f"{self.t}.".encode() + self.body, hashlib.sha256).hexdigest() for s in secrets]
        return ",".join([f"t={self.t}"] + [f"v1={sig}" for sig in sigs])

    def test_accepts_valid_and_rotated(self) -> None:
        self.assertTrue(verify_webhook_signature(self.body, self.header(self.secret), self.secret, now=self.t + 10))
        self.assertTrue(verify_webhook_signature(self.body.decode(), self.header(self.secret), self.secret, now=self.t))
        self.assertTrue(verify_webhook_signature(self.body, self.header("whsec_new", self.secret), self.secret, now=self.t))
        self.assertTrue(Scripted([]).layers.webhooks.verify_signature(self.body, self.header(self.secret), self.secret, tolerance_seconds=10**10))

    def test_refuses_tampering_wrong_secret_stale_and_malformed(self) -> None:
        header = self.header(self.secret)
        self.assertFalse(verify_webhook_signature(self.body.replace(b"token_revoked", b"refresh_expired"), header, self.secret, now=self.t))
        self.assertFalse(verify_webhook_signature(self.body, header, "whsec_other", now=self.t))
        self.assertFalse(verify_webhook_signature(self.body, header, self.secret, now=self.t + 301))
        self.assertFalse(verify_webhook_signature(self.body, header, self.secret, now=self.t - 301))
        self.assertFalse(verify_webhook_signature(self.body, header, self.secret, tolerance_seconds=60, now=self.t + 61))
        for malformed in ["", "v1=abc", f"t={self.t}", "t=abc," + header.split(",")[1], header.replace("v1=", "v0=")]:
            self.assertFalse(verify_webhook_signature(self.body, malformed, self.secret, now=self.t), malformed)
        self.assertFalse(verify_webhook_signature(self.body, None, self.secret))


if __name__ == "__main__":
    unittest.main()
