package scenario

// Score is how well a tracer and a clusterer recovered a scenario's truth.
type Score struct {
	TraceTop1 float64 `json:"trace_top1"` // incidents whose true operator is ranked first
	TraceTop3 float64 `json:"trace_top3"` // ... among the first three
	ClusterF1 float64 `json:"cluster_f1"` // pairwise F1 of clusters against botnets over bots and command servers
	Incidents int     `json:"incidents"`
	Hosts     int     `json:"hosts"`
	Precision float64 `json:"cluster_precision"`
	Recall    float64 `json:"cluster_recall"`
}

// Evaluate scores results against the truth. ranked maps each incident id
// to the ids of the candidates a tracer ranked for it, best first (an id
// of any threat actor or intrusion set standing for an operator counts
// for that operator). clusters lists the IPv4 addresses of each cluster;
// hosts in no cluster count as clusters of their own.
func (t *Truth) Evaluate(ranked map[string][]string, clusters [][]string) Score {
	var s Score
	opOf := map[string]string{}
	for _, o := range t.Operators {
		for _, id := range o.Objects {
			opOf[id] = o.Name
		}
	}
	top1, top3 := 0, 0
	for _, inc := range t.Incidents {
		for i, id := range ranked[inc.ID] {
			if i >= 3 {
				break
			}
			if opOf[id] == inc.Operator {
				if i == 0 {
					top1++
				}
				top3++
				break
			}
		}
	}
	s.Incidents = len(t.Incidents)
	if s.Incidents > 0 {
		s.TraceTop1 = float64(top1) / float64(s.Incidents)
		s.TraceTop3 = float64(top3) / float64(s.Incidents)
	}

	label := map[string]int{} // host -> botnet
	for i, b := range t.Botnets {
		for _, ip := range b.Bots {
			label[ip] = i
		}
		for _, ip := range b.C2 {
			label[ip] = i
		}
	}
	s.Hosts = len(label)
	pred := map[string]int{}
	for i, c := range clusters {
		for _, ip := range c {
			if _, ok := label[ip]; ok {
				pred[ip] = i
			}
		}
	}
	type cell struct{ p, t int }
	cells := map[cell]int{}
	predSize := map[int]int{}
	truthSize := map[int]int{}
	next := len(clusters)
	for ip, tl := range label {
		p, ok := pred[ip]
		if !ok {
			p = next // a cluster of its own
			next++
		}
		cells[cell{p, tl}]++
		predSize[p]++
		truthSize[tl]++
	}
	pairs := func(n int) float64 { return float64(n) * float64(n-1) / 2 }
	var tp, pp, tpairs float64
	for _, n := range cells {
		tp += pairs(n)
	}
	for _, n := range predSize {
		pp += pairs(n)
	}
	for _, n := range truthSize {
		tpairs += pairs(n)
	}
	if pp > 0 {
		s.Precision = tp / pp
	}
	if tpairs > 0 {
		s.Recall = tp / tpairs
	}
	if s.Precision+s.Recall > 0 {
		s.ClusterF1 = 2 * s.Precision * s.Recall / (s.Precision + s.Recall)
	}
	return s
}
