// variant: inline level1 in a plain function
import { paperLattice } from './libs/physics/src/network';
import { uniformTransistors, DEFAULT_LEVEL1 } from './libs/physics/src/level1';
const net = paperLattice();
const T = uniformTransistors(net.edgeCount, DEFAULT_LEVEL1);
const V = new Float64Array(16).fill(0.2); V[0]=0; V[2]=0.45; V[3]=0.11; V[7]=0.33;
for (let i=0;i<16;i++) V[i] = 0.1 + 0.02*i;
const G = new Float64Array(32).fill(2.5);
const res = new Float64Array(16), sc = new Float64Array(16), jac = new Float64Array(128);
function assemble(ea: Int32Array, eb: Int32Array, m: number, g: Float64Array, vto: Float64Array, beta: Float64Array, v: Float64Array, r: Float64Array, s: Float64Array, J: Float64Array) {
  r.fill(0); s.fill(0); J.fill(0);
  for (let e=0;e<m;e++){ const a=ea[e], b=eb[e]; const va=v[a], vb=v[b];
    let vd=va, vs=vb, sign=1; if (vb>va){vd=vb;vs=va;sign=-1;}
    const vds=vd-vs; const vgst=g[e]-vs-vto[e]; let id=0, gds=0, gm=0;
    if (vgst>0){ const bt=beta[e]; if (vgst<=vds){ id=bt*vgst*vgst*0.5; gm=bt*vgst; } else { id=bt*vds*(vgst-0.5*vds); gm=bt*vds; gds=bt*(vgst-vds);} }
    const c = sign*id; r[a]+=c; r[b]-=c; const mg=Math.abs(c); s[a]+=mg; s[b]+=mg;
    J[e*4]+=gds; J[e*4+1]+=gm; }
}
const N=1000000; let t0=performance.now(); for(let i=0;i<N;i++) assemble(net.edgeA, net.edgeB, 32, G, T.vto_V, T.beta_AperV2, V, res, sc, jac); console.log('inline us', (performance.now()-t0)*1000/N);
