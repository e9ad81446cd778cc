import { paperLattice, squareLattice } from './libs/physics/src/network';
import { uniformTransistors, DEFAULT_LEVEL1, ALD1106_FITTED } from './libs/physics/src/level1';
import { DcSolver } from './libs/physics/src/dc-solver';
const net = paperLattice();
for (const card of [DEFAULT_LEVEL1, ALD1106_FITTED]) {
const T = uniformTransistors(net.edgeCount, card);
const fixed = new Uint8Array(16); fixed[0]=fixed[2]=fixed[3]=fixed[7]=1;
const s = new DcSolver(net, fixed);
const V = new Float64Array(16).fill(0.2); V[0]=0; V[2]=0.45; V[3]=0.11; V[7]=0.33;
const G = new Float64Array(32).fill(2.5);
console.log(s.solve(G, T, V), Array.from(V).map(v=>v.toFixed(5)).join(' '));
const r = s.kclResidual(G,T,V); console.log(Math.max(...Array.from(r).filter((_,i)=>!fixed[i]).map(Math.abs)));
G[5]=1.1; console.log(s.solve(G,T,V));
const t0 = performance.now(); let it=0; const N=20000;
for (let i=0;i<N;i++){ G[i%32] += (i%2?1:-1)*1e-3; it += s.solve(G,T,V).iterations; }
console.log('us/solve', (performance.now()-t0)*1000/N, 'iters', it/N);
}
const big = squareLattice(100,100,true); const fx = new Uint8Array(big.nodeCount); fx[0]=fx[5050]=1;
const t1=performance.now(); const sb = new DcSolver(big, fx); console.log('analyse ms', performance.now()-t1, 'nnz', sb.pattern.colIndex.length);
const Vb = new Float64Array(big.nodeCount).fill(0.2); Vb[0]=0; Vb[5050]=0.45;
const Tb = uniformTransistors(big.edgeCount, DEFAULT_LEVEL1); const Gb = new Float64Array(big.edgeCount).fill(3);
const t2=performance.now(); console.log(sb.solve(Gb,Tb,Vb), 'ms', performance.now()-t2);
