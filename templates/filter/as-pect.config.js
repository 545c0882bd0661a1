export { default } from "proxy-wasm-as/aspect";
