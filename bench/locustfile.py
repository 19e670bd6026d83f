"""A shop's day in a minute: kiosks and fitters asking for recommendations, browsing the catalog,
fittings with a try-on, and a merchandiser's batch now and then. Driven by bench_load.py (users =
requests per second)."""

import random

import gevent
from locust import FastHttpUser, constant_throughput, task

RUNNERS = [
    {"arch_type": "flat", "pronation": "overpronation", "symptoms": ["forefoot_pain"]},
    {"arch_type": "high", "pronation": "neutral", "fit_issues": ["too_tight"], "width": "wide", "limit": 3},
    {"arch_type": "neutral", "symptoms": ["top_of_foot_soreness"], "pain": {"days": 4, "severity": 3}},
    {"pronation": "underpronation", "terrain": "trail", "max_price": 160},
    {"fit_issues": ["heel_slippage", "blisters"], "training": {"weekly_km": 40, "surface": "road"}},
    {},
]
SHOE_QUERIES = ["/v1/shoes", "/v1/shoes?terrain=trail", "/v1/shoes?width=wide&per_page=50", "/v1/shoes?page=2"]


class Shop(FastHttpUser):
    # One request per second per user: the arrival rate stays what bench_load.py asks for,
    # however fast or slow the server answers (until it cannot keep up).
    wait_time = constant_throughput(1)

    def on_start(self):
        # Users start together; a random phase within the first second spreads their requests over each second
        # instead of sending them all in one burst (which would measure the burst's queue, not the service).
        gevent.sleep(random.random())
        self.shoe_ids = [s["id"] for s in self.client.get("/v1/shoes?per_page=100", name="/v1/shoes").json()["items"]]

    @task(10)
    def recommend(self):
        self.client.post("/v1/recommendations", json=random.choice(RUNNERS))

    @task(2)
    def vocabulary(self):
        self.client.get("/v1/vocabulary")

    @task(3)
    def shoes(self):
        self.client.get(random.choice(SHOE_QUERIES), name="/v1/shoes")

    @task(2)
    def one_shoe(self):
        self.client.get(f"/v1/shoes/{random.choice(self.shoe_ids)}", name="/v1/shoes/{id}")

    @task(1)
    def batch(self):
        self.client.post("/v1/batch/recommendations", json={"profiles": random.choices(RUNNERS, k=50)})

    @task(2)
    def fitting(self):
        # A kiosk's try-on loop: open the fitting, record a try-on, read the re-ranked picks (three requests).
        opened = self.client.post("/v1/fittings", json=random.choice(RUNNERS), name="/v1/fittings")
        if opened.status_code != 201:
            return
        fitting = opened.json()["id"]
        tryon = {"shoe_id": random.choice(self.shoe_ids), "comfort": random.randint(1, 5), "decision": "returned"}
        self.client.post(f"/v1/fittings/{fitting}/tryons", json=tryon, name="/v1/fittings/{id}/tryons")
        self.client.get(f"/v1/fittings/{fitting}/recommendations", name="/v1/fittings/{id}/recommendations")
