package match

import (
	"encoding/hex"
	"fmt"
	"strconv"
)

// ZeekLogs returns n lines of synthetic Zeek JSON logs (conn 60%, dns
// 25%, http 7%, ssl 5%, files 3%) shaped like Zeek's own, with about
// hitPermille of the lines carrying an indicator value of g's set.
func (g Synthetic) ZeekLogs(n, hitPermille int) []byte {
	nIP, _, nDom, nSHA := g.Counts()
	var b []byte
	for i := 0; i < n; i++ {
		r := g.rnd(20, uint64(i), 0)
		hit := int(r%1000) < hitPermille
		kind := r >> 10 % 100
		ip := func(k uint64) string {
			if hit && nIP > 0 {
				return addr4(g.IPv4(int(g.rnd(21, uint64(i), k) % uint64(nIP)))).String()
			}
			a := uint32(g.rnd(22, uint64(i), k))
			return addr4(a&0x00ffffff | 10<<24).String() // 10.0.0.0/8: no indicator there
		}
		dom := func() string {
			if hit && nDom > 0 {
				return "www." + g.Domain(int(g.rnd(23, uint64(i), 0)%uint64(nDom)))
			}
			return g.MissDomain(i)
		}
		ts := strconv.FormatFloat(1.7e9+float64(i)/1000, 'f', 6, 64)
		uid := fmt.Sprintf("C%016x", r)
		switch {
		case kind < 60:
			b = fmt.Appendf(b, `{"ts":%s,"uid":"%s","id.orig_h":"%s","id.orig_p":%d,"id.resp_h":"%s","id.resp_p":443,"proto":"tcp","service":"ssl","duration":0.%06d,"orig_bytes":%d,"resp_bytes":%d,"conn_state":"SF","local_orig":true,"local_resp":false,"missed_bytes":0,"history":"ShADadfF","orig_pkts":12,"orig_ip_bytes":1375,"resp_pkts":10,"resp_ip_bytes":5826,"ip_proto":6}`+"\n",
				ts, uid, ip(1), 1024+r>>20%60000, ip(2), r>>30%1000000, r>>40%5000, r>>44%90000)
		case kind < 85:
			b = fmt.Appendf(b, `{"ts":%s,"uid":"%s","id.orig_h":"%s","id.orig_p":%d,"id.resp_h":"10.0.0.53","id.resp_p":53,"proto":"udp","trans_id":%d,"rtt":0.0123,"query":"%s","qclass":1,"qclass_name":"C_INTERNET","qtype":1,"qtype_name":"A","rcode":0,"rcode_name":"NOERROR","AA":false,"TC":false,"RD":true,"RA":true,"Z":0,"answers":["%s"],"TTLs":[300.0],"rejected":false}`+"\n",
				ts, uid, ip(1), 1024+r>>20%60000, r>>16%65536, dom(), ip(3))
		case kind < 92:
			b = fmt.Appendf(b, `{"ts":%s,"uid":"%s","id.orig_h":"%s","id.orig_p":%d,"id.resp_h":"%s","id.resp_p":80,"trans_depth":1,"method":"GET","host":"%s","uri":"/download/update.php?id=%d","version":"1.1","user_agent":"Mozilla/5.0 (Windows NT 10.0; Win64; x64)","request_body_len":0,"response_body_len":%d,"status_code":200,"status_msg":"OK","tags":[],"resp_fuids":["F%015x"],"resp_mime_types":["application/octet-stream"]}`+"\n",
				ts, uid, ip(1), 1024+r>>20%60000, ip(2), dom(), r>>20%100000, r>>30%100000, r>>4)
		case kind < 97:
			b = fmt.Appendf(b, `{"ts":%s,"uid":"%s","id.orig_h":"%s","id.orig_p":%d,"id.resp_h":"%s","id.resp_p":443,"version":"TLSv13","cipher":"TLS_AES_128_GCM_SHA256","curve":"x25519","server_name":"%s","resumed":false,"established":true,"ssl_history":"CsiI"}`+"\n",
				ts, uid, ip(1), 1024+r>>20%60000, ip(2), dom())
		default:
			var sha [32]byte
			if hit && nSHA > 0 {
				sha = g.SHA256(int(g.rnd(24, uint64(i), 0) % uint64(nSHA)))
			} else {
				sha = g.MissSHA256(i)
			}
			b = fmt.Appendf(b, `{"ts":%s,"fuid":"F%015x","uid":"%s","id.orig_h":"%s","id.orig_p":80,"id.resp_h":"%s","id.resp_p":%d,"source":"HTTP","depth":0,"analyzers":["MD5","SHA1","SHA256"],"mime_type":"application/x-dosexec","duration":0.01,"is_orig":false,"seen_bytes":%d,"total_bytes":%d,"missing_bytes":0,"overflow_bytes":0,"timedout":false,"md5":"%032x","sha1":"%040x","sha256":"%s"}`+"\n",
				ts, r>>4, uid, ip(2), ip(1), 1024+r>>20%60000, r>>30%100000, r>>30%100000, r, r>>1, hex.EncodeToString(sha[:]))
		}
	}
	return b
}
