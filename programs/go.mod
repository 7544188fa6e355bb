module github.com/faultproof/faultproof/programs

go 1.22
