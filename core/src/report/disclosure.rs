//! Disclosure control for counts published outside the collaboration, the way official
//! statistics does it: cell suppression. Counts of 1 or 2 are suppressed (primary
//! suppression), and then further counts (secondary suppression) until no suppressed
//! count can be worked out from what is published beside it — the totals, the rows, the
//! columns, the other table.
//!
//! Published tables whose cells add up to their totals are a flow network: every count
//! is an arc, and at every node what comes in goes out (a row's cells sum to the row's
//! total, a week's column sums the same in the area table as in the category table).
//! What a reader can work out about a suppressed count is then exact and integral
//! (network matrices are totally unimodular): it can grow by the largest flow that can
//! be pushed back round through the other suppressed arcs, and shrink likewise. A
//! suppressed count is protected when a reader cannot rule out that it is 3 or more.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};

/// The largest count that is itself sensitive.
pub const SMALL: u32 = 2;
/// A suppressed count is protected when a reader's upper bound reaches this.
pub const SAFE: u64 = 3;

/// One count: an arc of the network.
#[derive(Debug, Clone, Copy)]
struct Arc {
    from: usize,
    to: usize,
    value: u32,
    /// What suppressing it costs the reader (its information): cheap arcs are chosen
    /// first for secondary suppression.
    cost: u64,
}

/// Published counts tied by sums.
#[derive(Debug, Clone, Default)]
pub struct Network {
    nodes: usize,
    arcs: Vec<Arc>,
}

/// What a reader of the published counts can work out about one of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Range {
    pub min: u64,
    /// `None`: no upper bound at all.
    pub max: Option<u64>,
}

impl Network {
    pub fn new() -> Network {
        Network::default()
    }

    pub fn node(&mut self) -> usize {
        self.nodes += 1;
        self.nodes - 1
    }

    /// A count of `value` flowing `from` → `to`; returns its index.
    pub fn arc(&mut self, from: usize, to: usize, value: u32, cost: u64) -> usize {
        debug_assert!(from < self.nodes && to < self.nodes);
        self.arcs.push(Arc {
            from,
            to,
            value,
            cost,
        });
        self.arcs.len() - 1
    }

    pub fn len(&self) -> usize {
        self.arcs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.arcs.is_empty()
    }

    /// Whether the count is small enough to identify someone: 1 or 2.
    pub fn sensitive(&self, arc: usize) -> bool {
        (1..=SMALL).contains(&self.arcs[arc].value)
    }

    /// Which counts to suppress: every sensitive one, every one in `forced`, and as few
    /// and as small others as it takes to protect each sensitive one. Deterministic.
    pub fn suppress(&self, forced: &[usize]) -> Vec<bool> {
        let mut hidden: Vec<bool> = (0..self.arcs.len()).map(|a| self.sensitive(a)).collect();
        for &a in forced {
            hidden[a] = true;
        }
        for arc in 0..self.arcs.len() {
            if !self.sensitive(arc) || self.protected(&hidden, arc) {
                continue;
            }
            let need = SAFE.saturating_sub(u64::from(self.arcs[arc].value));
            match self.cheapest_cycle(&hidden, arc, need) {
                Some(path) => path.into_iter().for_each(|a| hidden[a] = true),
                // Cannot happen in a network where every arc lies on a cycle; if it
                // did, publishing nothing is the safe answer.
                None => return vec![true; self.arcs.len()],
            }
            debug_assert!(self.protected(&hidden, arc));
        }
        hidden
    }

    /// Whether a reader cannot rule out that the suppressed `arc` is 3 or more.
    pub fn protected(&self, hidden: &[bool], arc: usize) -> bool {
        let value = u64::from(self.arcs[arc].value);
        value >= SAFE || value + self.flow_back(hidden, arc, SAFE - value) >= SAFE
    }

    /// What a reader of every published count can work out about `arc`, were it
    /// suppressed.
    pub fn range(&self, hidden: &[bool], arc: usize) -> Range {
        let a = self.arcs[arc];
        let infinite = self.infinity();
        let up = self.max_flow(hidden, arc, a.to, a.from, infinite);
        let down = self.max_flow(hidden, arc, a.from, a.to, u64::from(a.value));
        Range {
            min: u64::from(a.value) - down.min(u64::from(a.value)),
            max: (up < infinite).then(|| u64::from(a.value) + up),
        }
    }

    /// How much `arc` can grow, up to `enough`, with every other suppressed arc free to
    /// change and every published one fixed.
    fn flow_back(&self, hidden: &[bool], arc: usize, enough: u64) -> u64 {
        let a = self.arcs[arc];
        self.max_flow(hidden, arc, a.to, a.from, enough)
    }

    /// More than every count together: a capacity that stands for "unbounded".
    fn infinity(&self) -> u64 {
        self.arcs.iter().map(|a| u64::from(a.value)).sum::<u64>() + 1
    }

    /// The largest flow (at most `limit`) from `source` to `sink` through the residual
    /// network of the suppressed arcs other than `except`: each may grow without bound
    /// and shrink to zero.
    fn max_flow(
        &self,
        hidden: &[bool],
        except: usize,
        source: usize,
        sink: usize,
        limit: u64,
    ) -> u64 {
        if source == sink {
            return limit;
        }
        let infinite = self.infinity();
        // Residual edges in pairs: 2k is arc k forward, 2k+1 backward.
        let mut capacity = Vec::with_capacity(self.arcs.len() * 2);
        let mut ends = Vec::with_capacity(self.arcs.len() * 2);
        let mut out: Vec<Vec<usize>> = vec![Vec::new(); self.nodes];
        for (i, a) in self.arcs.iter().enumerate() {
            let open = hidden[i] && i != except;
            capacity.push(if open { infinite } else { 0 });
            capacity.push(if open { u64::from(a.value) } else { 0 });
            ends.push(a.to);
            ends.push(a.from);
            out[a.from].push(2 * i);
            out[a.to].push(2 * i + 1);
        }
        let mut total = 0;
        while total < limit {
            // Shortest augmenting path (Edmonds–Karp).
            let mut via = vec![usize::MAX; self.nodes];
            let mut queue = VecDeque::from([source]);
            via[source] = usize::MAX - 1;
            while let Some(node) = queue.pop_front() {
                if node == sink {
                    break;
                }
                for &edge in &out[node] {
                    let next = ends[edge];
                    if capacity[edge] > 0 && via[next] == usize::MAX {
                        via[next] = edge;
                        queue.push_back(next);
                    }
                }
            }
            if via[sink] == usize::MAX {
                break;
            }
            let mut push = limit - total;
            let mut node = sink;
            while node != source {
                let edge = via[node];
                push = push.min(capacity[edge]);
                node = ends[edge ^ 1];
            }
            let mut node = sink;
            while node != source {
                let edge = via[node];
                capacity[edge] -= push;
                capacity[edge ^ 1] = capacity[edge ^ 1].saturating_add(push);
                node = ends[edge ^ 1];
            }
            total += push;
        }
        total
    }

    /// The published arcs to suppress so that `arc` can grow by `need`: the cheapest
    /// cycle through it, along which every arc that must shrink holds at least `need`.
    fn cheapest_cycle(&self, hidden: &[bool], arc: usize, need: u64) -> Option<Vec<usize>> {
        let (source, sink) = (self.arcs[arc].to, self.arcs[arc].from);
        let mut out: Vec<Vec<(usize, usize)>> = vec![Vec::new(); self.nodes];
        for (i, a) in self.arcs.iter().enumerate() {
            if i == arc {
                continue;
            }
            out[a.from].push((a.to, i));
            if u64::from(a.value) >= need {
                out[a.to].push((a.from, i));
            }
        }
        let cost = |i: usize| if hidden[i] { 0 } else { self.arcs[i].cost };
        let mut best = vec![u64::MAX; self.nodes];
        let mut via = vec![usize::MAX; self.nodes];
        let mut heap = BinaryHeap::from([Reverse((0, source))]);
        best[source] = 0;
        while let Some(Reverse((at, node))) = heap.pop() {
            if at > best[node] {
                continue;
            }
            if node == sink {
                break;
            }
            for &(next, i) in &out[node] {
                let through = at + cost(i);
                if through < best[next] {
                    best[next] = through;
                    via[next] = i;
                    heap.push(Reverse((through, next)));
                }
            }
        }
        if best[sink] == u64::MAX {
            return None;
        }
        let mut path = Vec::new();
        let mut node = sink;
        while node != source {
            let i = via[node];
            if !hidden[i] {
                path.push(i);
            }
            let a = self.arcs[i];
            node = if a.to == node { a.from } else { a.to };
        }
        Some(path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A table of `cells` (rows × columns) with row totals, column totals and the grand
    /// total, every one published unless suppressed: the textbook case.
    fn table(cells: &[&[u32]]) -> (Network, Vec<Vec<usize>>, Vec<usize>, Vec<usize>, usize) {
        let mut n = Network::new();
        let (s, t) = (n.node(), n.node());
        let rows: Vec<usize> = cells.iter().map(|_| n.node()).collect();
        let columns: Vec<usize> = cells[0].iter().map(|_| n.node()).collect();
        let mut row_totals = Vec::new();
        let mut column_totals = Vec::new();
        let mut grid = Vec::new();
        for (r, row) in cells.iter().enumerate() {
            row_totals.push(n.arc(s, rows[r], row.iter().sum(), 50));
            grid.push(
                row.iter()
                    .enumerate()
                    .map(|(c, &v)| n.arc(rows[r], columns[c], v, 1 + u64::from(v)))
                    .collect(),
            );
        }
        for (c, &column) in columns.iter().enumerate() {
            let sum = cells.iter().map(|row| row[c]).sum();
            column_totals.push(n.arc(column, t, sum, 50));
        }
        let total = cells.iter().flat_map(|r| r.iter()).sum();
        let grand = n.arc(t, s, total, 10_000);
        (n, grid, row_totals, column_totals, grand)
    }

    #[test]
    fn a_lone_small_cell_is_recovered_by_subtraction_unless_more_are_suppressed() {
        // Total 7, Rönninge 5, Salems centrum 2: suppressing the 2 alone gives it away.
        let (n, grid, ..) = table(&[&[5], &[2]]);
        let mut hidden = vec![false; n.len()];
        hidden[grid[1][0]] = true;
        assert_eq!(
            n.range(&hidden, grid[1][0]),
            Range {
                min: 2,
                max: Some(2)
            }
        );
        assert!(!n.protected(&hidden, grid[1][0]));
        let hidden = n.suppress(&[]);
        assert!(n.protected(&hidden, grid[1][0]));
        let shown = hidden.iter().filter(|h| !**h).count();
        assert!(shown > 0, "something is still published");
    }

    #[test]
    fn a_small_cell_inside_a_table_is_protected_by_a_rectangle() {
        let cells: &[&[u32]] = &[&[1, 7, 4], &[6, 5, 9], &[8, 3, 10]];
        let (n, grid, rows, columns, grand) = table(cells);
        let hidden = n.suppress(&[]);
        assert!(hidden[grid[0][0]]);
        let range = n.range(&hidden, grid[0][0]);
        assert!(range.max.is_some_and(|m| m >= SAFE), "{range:?}");
        // Interior cells are cheaper than totals: no total needs to go.
        assert!(!rows.iter().chain(&columns).any(|&a| hidden[a]));
        assert!(!hidden[grand]);
        assert_eq!(hidden.iter().filter(|h| **h).count(), 4, "{hidden:?}");
    }

    #[test]
    fn every_sensitive_cell_of_many_tables_ends_protected() {
        let mut rng = fastrand::Rng::with_seed(7);
        for _ in 0..200 {
            let (rows, columns) = (rng.usize(1..6), rng.usize(1..6));
            let cells: Vec<Vec<u32>> = (0..rows)
                .map(|_| (0..columns).map(|_| rng.u32(0..6)).collect())
                .collect();
            let refs: Vec<&[u32]> = cells.iter().map(Vec::as_slice).collect();
            let (n, ..) = table(&refs);
            let hidden = n.suppress(&[]);
            for arc in 0..n.len() {
                if n.sensitive(arc) {
                    assert!(hidden[arc]);
                    let range = n.range(&hidden, arc);
                    assert!(
                        range.max.is_none_or(|m| m >= SAFE),
                        "{cells:?}: arc {arc} {range:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn a_range_is_what_the_published_counts_allow() {
        // Two suppressed cells in one row of total 5 and one column: each 0..=5.
        let (n, grid, ..) = table(&[&[2, 3]]);
        let mut hidden = vec![false; n.len()];
        hidden[grid[0][0]] = true;
        hidden[grid[0][1]] = true;
        // The column totals are published, so each cell is pinned.
        assert_eq!(n.range(&hidden, grid[0][0]).max, Some(2));
        let all = vec![true; n.len()];
        assert_eq!(n.range(&all, grid[0][0]), Range { min: 0, max: None });
    }
}
