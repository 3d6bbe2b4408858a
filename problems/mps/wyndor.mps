NAME        
OBJSENSE
  MAX
ROWS
 N  Obj     
 L  plant1  
 L  plant2  
 L  plant3  
COLUMNS
    x1        Obj       3
    x1        plant1    1
    x1        plant3    3
    x2        Obj       5
    x2        plant2    2
    x2        plant3    2
RHS
    RHS_V     plant1    4
    RHS_V     plant2    12
    RHS_V     plant3    18
ENDATA
