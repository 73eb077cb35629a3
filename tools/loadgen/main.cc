// tessera-loadgen: see tools/loadgen/README.md.
int main() { return 0; }
