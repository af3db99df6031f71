hv: web02
