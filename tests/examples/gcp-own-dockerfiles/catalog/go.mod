module example.com/atelier/catalog

go 1.24
