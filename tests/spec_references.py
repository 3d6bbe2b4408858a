"""Independent reference models of the example problems in ``problems/``.

Each function rebuilds one problem by hand -- data read with pandas or typed in
here again, matrices built with numpy, solved with ``scipy.optimize.linprog`` /
``milp`` -- without any opt-model code, and returns the optimal objective (in
the unit the spec reports).  ``tests/test_spec_problems.py`` checks that these
values, the ``expected`` values written in the specs, and what ``opt-model``
computes from the specs all agree.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from scipy.optimize import Bounds, LinearConstraint, linprog, milp

PROBLEMS = Path(__file__).resolve().parent.parent / "problems"


def _milp(c: np.ndarray, rows: list[tuple[np.ndarray, float, float]], lower: np.ndarray, upper: np.ndarray,
          integer: np.ndarray) -> float:
    A = np.vstack([row for row, _, _ in rows])
    lo = np.array([low for _, low, _ in rows])
    hi = np.array([high for _, _, high in rows])
    result = milp(c, constraints=LinearConstraint(A, lo, hi), bounds=Bounds(lower, upper),
                  integrality=integer.astype(int), options={"mip_rel_gap": 1e-9})
    assert result.status == 0, result.message
    return float(result.fun)


def vm_placement() -> float:
    vms = pd.read_csv(PROBLEMS / "vm_placement_vms.csv")
    hosts = pd.read_csv(PROBLEMS / "vm_placement_hosts.csv")
    V, H = len(vms), len(hosts)
    hours, energy_price = 720.0, 0.12  # h, USD/kWh
    n = V * H + H

    def place(v: int, h: int) -> int:
        return v * H + h

    c = np.zeros(n)
    for v in range(V):
        for h in range(H):
            c[place(v, h)] = energy_price * hours * hosts.vcpu_power[h] * vms.vcpus[v] / 1000.0
    for h in range(H):
        c[V * H + h] = hours * hosts.price[h] + energy_price * hours * hosts.idle_power[h] / 1000.0
    rows = []
    for v in range(V):
        row = np.zeros(n)
        row[[place(v, h) for h in range(H)]] = 1
        rows.append((row, 1.0, 1.0))
    for h in range(H):
        memory, vcpu = np.zeros(n), np.zeros(n)
        for v in range(V):
            memory[place(v, h)] = vms.memory[v]
            vcpu[place(v, h)] = vms.vcpus[v]
        rows.append((memory, -np.inf, hosts.memory[h]))
        rows.append((vcpu, -np.inf, hosts.vcpus[h]))
        for v in range(V):
            link = np.zeros(n)
            link[place(v, h)] = 1
            link[V * H + h] = -1
            rows.append((link, -np.inf, 0.0))
    return _milp(c, rows, np.zeros(n), np.ones(n), np.ones(n))


def gpu_jobs() -> float:
    gpus = [8, 4, 4, 2, 2, 1, 4, 1, 2, 2, 2, 1]
    memory = [80, 40, 32, 16, 16, 16, 40, 8, 24, 32, 24, 12]
    value = [900, 420, 300, 110, 100, 70, 380, 45, 150, 160, 125, 60]
    node_gpus = [8, 8, 8, 4]
    node_memory = [80, 40, 32, 16]
    J, N = len(gpus), len(node_gpus)
    n = J * N
    c = np.array([-value[j] for j in range(J) for _ in range(N)], dtype=float)
    upper = np.array([1.0 if memory[j] <= node_memory[k] else 0.0 for j in range(J) for k in range(N)])
    rows = []
    for j in range(J):
        row = np.zeros(n)
        row[j * N:(j + 1) * N] = 1
        rows.append((row, -np.inf, 1.0))
    for k in range(N):
        row = np.zeros(n)
        for j in range(J):
            row[j * N + k] = gpus[j]
        rows.append((row, -np.inf, float(node_gpus[k])))
    return -_milp(c, rows, np.zeros(n), upper, np.ones(n))


def batch_deadline() -> float:
    durations = pd.read_csv(PROBLEMS / "batch_deadline_durations.csv").set_index("job")
    hours = durations[["small", "large", "gpu"]].to_numpy() / 60.0
    rate = np.array([0.35, 0.80, 2.90])
    J, P = hours.shape
    c = (hours * rate).ravel()
    A_eq = np.kron(np.eye(J), np.ones(P))
    A_ub = np.zeros((P, J * P))
    for p in range(P):
        A_ub[p, p::P] = hours[:, p]
    result = linprog(c, A_ub=A_ub, b_ub=np.full(P, 8.0), A_eq=A_eq, b_eq=np.ones(J), bounds=(0, 1))
    assert result.status == 0
    return float(result.fun)


def power_capping() -> float:
    idle = np.array([3.2, 3.2, 4.1, 4.1, 2.6, 2.6, 5.0, 5.0])
    peak = np.array([9.5, 9.5, 12.8, 12.8, 7.0, 7.0, 15.5, 15.5])
    throughput = np.array([410, 410, 620, 620, 300, 300, 820, 820], dtype=float)
    slope = peak - idle
    row_a = np.array([1, 1, 1, 1, 0, 0, 0, 0])
    row_b = 1 - row_a
    A_ub = np.vstack([row_a * slope, row_b * slope, 24 * slope])
    b_ub = np.array([36 - row_a @ idle, 32 - row_b @ idle, 1400 - 24 * idle.sum()])
    result = linprog(-throughput, A_ub=A_ub, b_ub=b_ub, bounds=(0, 1))
    assert result.status == 0
    return float(-result.fun)


def bandwidth_fairness() -> float:
    """Proportional fairness, written directly in CVXPY; also checked against the closed form."""
    import cvxpy as cp

    capacity = {"ams-fra": 40, "fra-vie": 25, "ams-lon": 30, "lon-par": 20, "par-fra": 35, "par-mad": 10,
                "fra-mad": 15}
    routes = [["ams-fra", "fra-vie"], ["lon-par", "par-fra"], ["ams-fra", "fra-mad"], ["lon-par", "par-mad"],
              ["par-fra", "fra-vie"], ["ams-lon", "lon-par"]]
    links = list(capacity)
    R = np.zeros((len(links), len(routes)))
    for f, route in enumerate(routes):
        for link in route:
            R[links.index(link), f] = 1
    rate = cp.Variable(len(routes))
    problem = cp.Problem(cp.Maximize(cp.sum(cp.log(rate))), [R @ rate <= np.array(list(capacity.values()))])
    problem.solve()
    # lon-par (20) is shared by three flows, fra-vie (25) by two, fra-mad (15) carries one
    closed_form = 3 * np.log(20 / 3) + 2 * np.log(12.5) + np.log(15)
    assert abs(problem.value - closed_form) < 1e-6
    return float(closed_form)


def bandwidth_maxmin() -> tuple[float, float]:
    capacity = {"ams-fra": 40, "fra-vie": 25, "ams-lon": 30, "lon-par": 20, "par-fra": 35, "par-mad": 10,
                "fra-mad": 15}
    routes = [["ams-fra", "fra-vie"], ["lon-par", "par-fra"], ["ams-fra", "fra-mad"], ["lon-par", "par-mad"],
              ["par-fra", "fra-vie"], ["ams-lon", "lon-par"]]
    links = list(capacity)
    F = len(routes)
    # variables: rate[0..F-1], floor
    A_link = np.zeros((len(links), F + 1))
    for f, route in enumerate(routes):
        for link in route:
            A_link[links.index(link), f] = 1
    A_fair = np.hstack([-np.eye(F), np.ones((F, 1))])  # floor - rate <= 0
    A_ub = np.vstack([A_link, A_fair])
    b_ub = np.concatenate([[capacity[k] for k in links], np.zeros(F)])
    first = linprog(np.r_[np.zeros(F), -1.0], A_ub=A_ub, b_ub=b_ub, bounds=(0, None))
    floor = -first.fun
    hold = np.r_[np.zeros(F), -1.0]  # -floor <= -floor*
    second = linprog(np.r_[-np.ones(F), 0.0], A_ub=np.vstack([A_ub, hold]), b_ub=np.r_[b_ub, -floor + 1e-9],
                     bounds=(0, None))
    assert first.status == 0 and second.status == 0
    return float(floor), float(-second.fun)


def production_planning() -> float:
    demand = pd.read_csv(PROBLEMS / "production_demand.csv").pivot(index="product", columns="month", values="units")
    products = ["chair", "table", "shelf"]
    months = ["jan", "feb", "mar", "apr", "may", "jun"]
    demand = demand.loc[products, months].to_numpy(dtype=float)
    time = np.array([0.75, 2.5, 1.25])
    space = np.array([0.5, 1.8, 0.9])
    unit_cost = np.array([38.0, 145.0, 62.0])
    holding = np.array([2.5, 9.0, 4.0])
    hours = np.array([340, 340, 340, 320, 300, 300], dtype=float)
    P, M = demand.shape
    # variables: make[p,m] (P*M), stock[p,m] (P*M), overtime[m] (M)
    n = 2 * P * M + M

    def make(p: int, m: int) -> int:
        return p * M + m

    def stock(p: int, m: int) -> int:
        return P * M + p * M + m

    c = np.zeros(n)
    for p in range(P):
        for m in range(M):
            c[make(p, m)] = unit_cost[p]
            c[stock(p, m)] = holding[p]
    c[2 * P * M:] = 55.0
    A_eq, b_eq = [], []
    for p in range(P):
        for m in range(M):
            row = np.zeros(n)
            row[stock(p, m)] = 1
            if m:
                row[stock(p, m - 1)] = -1
            row[make(p, m)] = -1
            A_eq.append(row)
            b_eq.append(-demand[p, m])
    A_ub, b_ub = [], []
    for m in range(M):
        machine, warehouse = np.zeros(n), np.zeros(n)
        for p in range(P):
            machine[make(p, m)] = time[p]
            warehouse[stock(p, m)] = space[p]
        machine[2 * P * M + m] = -1
        A_ub += [machine, warehouse]
        b_ub += [hours[m], 40.0]
    bounds = [(0, None)] * (2 * P * M) + [(0, 60)] * M
    result = linprog(c, A_ub=np.array(A_ub), b_ub=b_ub, A_eq=np.array(A_eq), b_eq=b_eq, bounds=bounds)
    assert result.status == 0
    return float(result.fun)


def diet() -> float:
    foods = pd.read_csv(PROBLEMS / "diet_foods.csv")
    per_gram = {name: foods[name].to_numpy() / 1000.0 for name in
                ("price", "energy", "protein", "fat", "calcium", "iron")}
    A_ub = np.vstack([-per_gram["energy"], per_gram["energy"], -per_gram["protein"], per_gram["fat"],
                      -per_gram["calcium"], -per_gram["iron"]])
    b_ub = np.array([-2000, 2600, -70, 65, -1000, -14], dtype=float)  # kcal, kcal, g, g, mg, mg
    result = linprog(per_gram["price"], A_ub=A_ub, b_ub=b_ub, bounds=[(0, 400)] * len(foods))
    assert result.status == 0
    return float(result.fun)


def workforce_shifts() -> float:
    demand = np.array([4, 7, 19, 23, 17, 11], dtype=float)
    wage = np.array([260, 220, 180, 180, 200, 245], dtype=float)
    covers = np.zeros((6, 6))  # [period, shift]
    for shift in range(6):
        covers[shift, shift] = 1
        covers[(shift + 1) % 6, shift] = 1
    rows = [(covers[p], demand[p], np.inf) for p in range(6)]
    return _milp(wage, rows, np.zeros(6), np.full(6, np.inf), np.ones(6))


def cloud_spend() -> float:
    demand = pd.read_csv(PROBLEMS / "cloud_spend_demand.csv").set_index("hour")[["small", "medium", "large"]]
    d = demand.to_numpy(dtype=float)
    H, S = d.shape
    on_demand = np.array([0.096, 0.192, 0.384])
    reserved = np.array([0.060, 0.121, 0.242])
    # variables: reserved[s] (S), on_demand[h, s] (H*S)
    c = np.concatenate([24 * reserved, np.tile(on_demand, H)])
    rows = []
    for h in range(H):
        for s in range(S):
            row = np.zeros(S + H * S)
            row[s] = 1
            row[S + h * S + s] = 1
            rows.append((row, d[h, s], np.inf))
    integer = np.concatenate([np.ones(S), np.zeros(H * S)])
    n = S + H * S
    return _milp(c, rows, np.zeros(n), np.full(n, np.inf), integer)


def cost_then_energy() -> tuple[float, float]:
    demand = np.array([96, 40, 32, 160, 64, 120, 80, 24], dtype=float)
    capacity = np.array([240, 320, 280], dtype=float)
    price = np.array([0.031, 0.026, 0.029])
    power = np.array([5.1, 7.4, 6.2])
    pue = np.array([1.08, 1.35, 1.22])
    W, S = len(demand), len(capacity)
    bill = (np.outer(demand, price) * 8).ravel()                     # USD
    energy = (np.outer(demand, pue * power) * 8 / 1000.0).ravel()    # kWh
    A_eq = np.kron(np.eye(W), np.ones(S))
    A_cap = np.zeros((S, W * S))
    for s in range(S):
        A_cap[s, s::S] = demand
    first = linprog(bill, A_ub=A_cap, b_ub=capacity, A_eq=A_eq, b_eq=np.ones(W), bounds=(0, 1))
    cost = first.fun
    second = linprog(energy, A_ub=np.vstack([A_cap, bill]), b_ub=np.r_[capacity, cost * 1.03], A_eq=A_eq,
                     b_eq=np.ones(W), bounds=(0, 1))
    assert first.status == 0 and second.status == 0
    return float(cost), float(second.fun)


def supply_network() -> float:
    edges = pd.read_csv(PROBLEMS / "supply_network_edges.csv")
    nodes = list(dict.fromkeys([*edges["from"], *edges["to"]]))
    supply = {"plant_north": 520, "plant_south": 480, "store_1": -210, "store_2": -240, "store_3": -260,
              "store_4": -290}
    A_eq = np.zeros((len(nodes), len(edges)))
    for k, (tail, head) in enumerate(zip(edges["from"], edges["to"])):
        A_eq[nodes.index(tail), k] += 1
        A_eq[nodes.index(head), k] -= 1
    b_eq = np.array([supply.get(node, 0) for node in nodes], dtype=float)
    result = linprog(edges["cost"].to_numpy(), A_eq=A_eq, b_eq=b_eq,
                     bounds=list(zip(np.zeros(len(edges)), edges["capacity"])))
    assert result.status == 0
    return float(result.fun)

def robust_placement() -> float:
    """The nominal LP of the robust placement spec (its robust plans are checked in tests/test_robust_spec.py)."""
    memory = np.array([12, 24, 8, 16, 6, 10, 14, 9, 20, 4, 11, 7], dtype=float)
    cpu = np.array([4, 8, 2, 6, 2, 3, 5, 4, 7, 1, 4, 2], dtype=float)
    value = np.array([30, 70, 26, 40, 14, 18, 36, 27, 52, 9, 25, 15], dtype=float)
    J, H = len(value), 3
    once = np.kron(np.eye(J), np.ones(H))                     # share[j, h], job-major
    use_memory = np.kron(memory[None, :], np.eye(H))            # row h: sum_j memory[j] share[j, h]
    use_cpu = np.kron(cpu[None, :], np.eye(H))
    A_ub = np.vstack([once, use_memory, use_cpu])
    b_ub = np.concatenate([np.ones(J), [48, 40, 32], [16, 14, 12]])
    result = linprog(-np.repeat(value, H), A_ub=A_ub, b_ub=b_ub, bounds=(0, 1))
    assert result.status == 0
    return float(-result.fun)


def overcommitted_is_infeasible() -> bool:
    memory = np.array([16, 16, 96, 96, 32, 32, 64], dtype=float)
    capacity = np.array([96, 96, 128], dtype=float)
    V, H = len(memory), len(capacity)
    A_eq = np.kron(np.eye(V), np.ones(H))
    A_ub = np.zeros((H, V * H))
    for h in range(H):
        A_ub[h, h::H] = memory
    result = linprog(np.zeros(V * H), A_ub=A_ub, b_ub=capacity, A_eq=A_eq, b_eq=np.ones(V), bounds=(0, 1))
    return bool(result.status == 2)


REFERENCES = {
    "vm_placement": vm_placement,
    "gpu_jobs": gpu_jobs,
    "batch_deadline": batch_deadline,
    "power_capping": power_capping,
    "bandwidth_fairness": bandwidth_fairness,
    "bandwidth_maxmin": lambda: bandwidth_maxmin()[1],
    "production_planning": production_planning,
    "diet": diet,
    "workforce_shifts": workforce_shifts,
    "cloud_spend": cloud_spend,
    "cost_then_energy": lambda: cost_then_energy()[1],
    "supply_network": supply_network,
    "robust_placement": robust_placement,
}

if __name__ == "__main__":  # print the reference values (to write them into the specs)
    for name, function in REFERENCES.items():
        print(f"{name}: {function()!r}")
    print("bandwidth_maxmin stages:", bandwidth_maxmin())
    print("cost_then_energy stages:", cost_then_energy())
    print("overcommitted infeasible:", overcommitted_is_infeasible())
